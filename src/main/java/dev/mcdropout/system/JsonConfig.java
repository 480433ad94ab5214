package dev.mcdropout.system;

import org.springframework.boot.jackson.autoconfigure.JsonMapperBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import tools.jackson.databind.cfg.CoercionAction;
import tools.jackson.databind.cfg.CoercionInputShape;
import tools.jackson.databind.type.LogicalType;

/**
 * Strict scalar typing for every JSON body the service reads (predict, import metadata, training requests):
 * a parameter of the wrong type is a 400 problem that names it, never a silent default or conversion.
 * Jackson's defaults would turn {@code "1"} into 1.0, {@code "NaN"} into NaN, {@code "epochs": 10.5} into 10,
 * {@code "activate": 1} into true and {@code "name": 5} or {@code "labels": [0, 1]} into strings; a client
 * that sends such a value has a bug it should hear about. The mapper is shared by the whole application,
 * hence one place here rather than in the feature that first needed it.
 */
@Configuration(proxyBeanMethods = false)
public class JsonConfig {

    /** A string, boolean or empty value where a number or boolean belongs fails. */
    @Bean
    JsonMapperBuilderCustomizer strictNumbers() {
        return builder -> {
            for (LogicalType type : new LogicalType[] {LogicalType.Float, LogicalType.Integer, LogicalType.Boolean}) {
                builder.withCoercionConfig(type, config -> {
                    config.setCoercion(CoercionInputShape.String, CoercionAction.Fail);
                    config.setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail);
                    config.setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
                });
            }
        };
    }

    /** A fraction where an integer belongs, a number where a boolean belongs, a scalar where text belongs fail. */
    @Bean
    JsonMapperBuilderCustomizer strictScalarTypes() {
        return builder -> {
            builder.withCoercionConfig(LogicalType.Integer,
                    config -> config.setCoercion(CoercionInputShape.Float, CoercionAction.Fail));
            builder.withCoercionConfig(LogicalType.Boolean,
                    config -> config.setCoercion(CoercionInputShape.Integer, CoercionAction.Fail));
            builder.withCoercionConfig(LogicalType.Textual, config -> {
                config.setCoercion(CoercionInputShape.Integer, CoercionAction.Fail);
                config.setCoercion(CoercionInputShape.Float, CoercionAction.Fail);
                config.setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
            });
        };
    }
}
