package dev.mcdropout.predict;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.mcdropout.predict.PredictDtos.PredictResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.List;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpInputMessage;
import org.springframework.http.HttpOutputMessage;
import org.springframework.http.MediaType;
import org.springframework.http.converter.AbstractHttpMessageConverter;
import org.springframework.http.converter.HttpMessageNotReadableException;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.io.SerializedString;
import tools.jackson.databind.SerializationConfig;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * Writes {@link PredictResponse} through the application's own {@link JsonGenerator}, component by component
 * of its records: the same bytes as Jackson's bean serialization (component order, class-level
 * {@code @JsonInclude(NON_NULL)}, the generator's number formatting and string escaping), without its
 * per-request serializer lookups and property writers, which cost as much as the rest of a one-row answer's
 * writing (docs/performance.md, "Where a request's time goes"). The plan is read once from the records, so a
 * component added later is written too: strings, numbers, {@code double[]}, lists of strings and nested
 * records directly, anything else by the mapper itself. Where the records or the mapper use something this
 * writer does not mirror (another Jackson annotation, a naming strategy, sorted or indented output, a default
 * inclusion), or where its answer to a sample differs from the mapper's at start-up, it stands aside and
 * Jackson writes the answer. {@code PredictResponseConverterTest} holds the
 * two equal. The answer is written to memory first so that it goes out with a Content-Length, as before.
 */
final class PredictResponseConverter extends AbstractHttpMessageConverter<PredictResponse> {

    private final JsonMapper json;
    private final RecordWriter plan;

    PredictResponseConverter(JsonMapper json) {
        super(MediaType.APPLICATION_JSON);
        this.json = json;
        this.plan = checked(json, mirrorsMapper(json) ? RecordWriter.of(PredictResponse.class) : null);
        if (plan == null) {
            LoggerFactory.getLogger(PredictResponseConverter.class).info("answers of POST /predict are written "
                    + "by Jackson's bean serialization: the records or the mapper use what this writer does not mirror");
        }
    }

    /** A sample answer, every component filled, to hold the plan against Jackson once at start-up. */
    private static final String PROBE = """
            {"model": {"name": "m", "version": 1}, "mcSamples": 2, "seed": -3, "classes": ["a", "b"],
             "predictions": [{"predictedClass": "a", "mean": [0.5, 0.5], "std": [0.1, -0.0],
             "predictiveEntropy": 0.69, "mutualInformation": 1e-300, "variationRatio": 0.5,
             "scoresMean": [1.0, 2.0], "scoresStd": [0.0, 0.5]}]}""";

    /**
     * The plan if it writes the sample answer exactly as the mapper does (property order, inclusion, features
     * this class does not look at), else null: then Jackson writes every answer.
     */
    private static RecordWriter checked(JsonMapper json, RecordWriter plan) {
        if (plan == null) {
            return null;
        }
        try {
            PredictResponse probe = json.readValue(PROBE, PredictResponse.class);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (JsonGenerator g = json.createGenerator(bytes)) {
                plan.write(g, probe, json);
            }
            return java.util.Arrays.equals(bytes.toByteArray(), json.writeValueAsBytes(probe)) ? plan : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** Whether this writer covers the records and the mapper; if not, Jackson writes every answer. */
    boolean active() {
        return plan != null;
    }

    @Override
    protected boolean supports(Class<?> type) {
        return plan != null && PredictResponse.class == type;
    }

    @Override
    public boolean canRead(Class<?> type, MediaType mediaType) {
        return false;
    }

    @Override
    protected PredictResponse readInternal(Class<? extends PredictResponse> type, HttpInputMessage input) {
        throw new HttpMessageNotReadableException("PredictResponse is never read", input);
    }

    @Override
    protected void writeInternal(PredictResponse response, HttpOutputMessage output) throws IOException {
        byte[] body = toBytes(response);
        output.getHeaders().setContentLength(body.length);
        output.getBody().write(body);
    }

    /** The answer as Jackson's serialization writes it, in UTF-8. */
    byte[] toBytes(PredictResponse response) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256 + 512 * response.predictions().size());
        try (JsonGenerator g = json.createGenerator(bytes)) {
            if (plan == null) {
                json.writeValue(g, response);
            } else {
                plan.write(g, response, json);
            }
        }
        return bytes.toByteArray();
    }

    private static boolean mirrorsMapper(JsonMapper json) {
        SerializationConfig config = json.serializationConfig();
        JsonInclude.Include inclusion = config.getDefaultPropertyInclusion().getValueInclusion();
        return config.getPropertyNamingStrategy() == null
                && !config.isEnabled(SerializationFeature.INDENT_OUTPUT)
                && !config.isEnabled(SerializationFeature.WRAP_ROOT_VALUE)
                && (inclusion == JsonInclude.Include.ALWAYS || inclusion == JsonInclude.Include.USE_DEFAULTS);
    }

    /** How one record type is written; null from {@link #of} where a Jackson annotation asks for more. */
    static final class RecordWriter {

        private enum Kind { STRING, INT, LONG, DOUBLE, DOUBLES, STRINGS, RECORD, RECORDS, OTHER }

        private final SerializedString[] names;
        private final Method[] accessors;
        private final Kind[] kinds;
        private final RecordWriter[] nested;
        private final boolean[] skipNull;

        private RecordWriter(SerializedString[] names, Method[] accessors, Kind[] kinds, RecordWriter[] nested,
                             boolean[] skipNull) {
            this.names = names;
            this.accessors = accessors;
            this.kinds = kinds;
            this.nested = nested;
            this.skipNull = skipNull;
        }

        static RecordWriter of(Class<?> type) {
            if (!type.isRecord()) {
                return null;
            }
            boolean skipNulls = false;
            for (Annotation a : type.getAnnotations()) {
                if (isNonNull(a)) {
                    skipNulls = true;
                } else if (isJackson(a)) {
                    return null;
                }
            }
            RecordComponent[] components = type.getRecordComponents();
            int n = components.length;
            SerializedString[] names = new SerializedString[n];
            Method[] accessors = new Method[n];
            Kind[] kinds = new Kind[n];
            RecordWriter[] nested = new RecordWriter[n];
            boolean[] skipNull = new boolean[n];
            for (int i = 0; i < n; i++) {
                RecordComponent c = components[i];
                // A component's own @JsonInclude(NON_NULL) (on the field, the accessor or the component) is
                // mirrored; any other Jackson annotation leaves the writing to Jackson.
                Annotation[] annotations;
                try {
                    annotations = concat(c.getAnnotations(), c.getAccessor().getAnnotations(),
                            type.getDeclaredField(c.getName()).getAnnotations());
                } catch (NoSuchFieldException e) {
                    return null;
                }
                skipNull[i] = skipNulls;
                for (Annotation a : annotations) {
                    if (isNonNull(a)) {
                        skipNull[i] = true;
                    } else if (isJackson(a)) {
                        return null;
                    }
                }
                names[i] = new SerializedString(c.getName());
                accessors[i] = c.getAccessor();
                accessors[i].setAccessible(true);
                Class<?> t = c.getType();
                Type generic = c.getGenericType();
                if (t == String.class) {
                    kinds[i] = Kind.STRING;
                } else if (t == int.class) {
                    kinds[i] = Kind.INT;
                } else if (t == long.class) {
                    kinds[i] = Kind.LONG;
                } else if (t == double.class) {
                    kinds[i] = Kind.DOUBLE;
                } else if (t == double[].class) {
                    kinds[i] = Kind.DOUBLES;
                } else if (t == List.class && generic instanceof ParameterizedType p
                        && p.getActualTypeArguments()[0] == String.class) {
                    kinds[i] = Kind.STRINGS;
                } else if (t.isRecord() && (nested[i] = of(t)) != null) {
                    kinds[i] = Kind.RECORD;
                } else if (t == List.class && generic instanceof ParameterizedType p
                        && p.getActualTypeArguments()[0] instanceof Class<?> element && element.isRecord()
                        && (nested[i] = of(element)) != null) {
                    kinds[i] = Kind.RECORDS;
                } else if (t.isRecord()) {
                    return null;
                } else {
                    kinds[i] = Kind.OTHER;
                }
            }
            return new RecordWriter(names, accessors, kinds, nested, skipNull);
        }

        private static boolean isNonNull(Annotation a) {
            return a instanceof JsonInclude include && include.value() == JsonInclude.Include.NON_NULL
                    && include.content() == JsonInclude.Include.ALWAYS;
        }

        private static Annotation[] concat(Annotation[]... parts) {
            List<Annotation> all = new java.util.ArrayList<>();
            for (Annotation[] part : parts) {
                all.addAll(java.util.Arrays.asList(part));
            }
            return all.toArray(new Annotation[0]);
        }

        private static boolean isJackson(Annotation a) {
            String name = a.annotationType().getName();
            return name.startsWith("com.fasterxml.jackson.") || name.startsWith("tools.jackson.");
        }

        void write(JsonGenerator g, Object record, JsonMapper json) {
            g.writeStartObject();
            for (int i = 0; i < names.length; i++) {
                Object value = get(i, record);
                if (value == null) {
                    if (!skipNull[i]) {
                        g.writeName(names[i]);
                        g.writeNull();
                    }
                    continue;
                }
                g.writeName(names[i]);
                switch (kinds[i]) {
                    case STRING -> g.writeString((String) value);
                    case INT -> g.writeNumber((Integer) value);
                    case LONG -> g.writeNumber((Long) value);
                    case DOUBLE -> g.writeNumber((Double) value);
                    case DOUBLES -> {
                        double[] values = (double[]) value;
                        g.writeArray(values, 0, values.length);
                    }
                    case STRINGS -> {
                        g.writeStartArray();
                        for (Object s : (List<?>) value) {
                            if (s == null) {
                                g.writeNull();
                            } else {
                                g.writeString((String) s);
                            }
                        }
                        g.writeEndArray();
                    }
                    case RECORD -> nested[i].write(g, value, json);
                    case RECORDS -> {
                        g.writeStartArray();
                        for (Object r : (List<?>) value) {
                            if (r == null) {
                                g.writeNull();
                            } else {
                                nested[i].write(g, r, json);
                            }
                        }
                        g.writeEndArray();
                    }
                    case OTHER -> json.writeValue(g, value);
                }
            }
            g.writeEndObject();
        }

        private Object get(int i, Object record) {
            try {
                return accessors[i].invoke(record);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot read " + names[i] + " of " + record.getClass(), e);
            }
        }
    }
}
