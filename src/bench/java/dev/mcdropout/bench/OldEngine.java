package dev.mcdropout.bench;

import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The engine of another build (an earlier commit's {@code benchmarks.jar}) in this JVM, so that
 * {@link PairedRatios} can time the old and the new engine in the same rounds, on the same load. The project's
 * classes ({@code dev.mcdropout.*}) come from that jar, child first; ND4J and everything else from this JVM's
 * class path, so both engines call the same native library with the same threads. The old network is built by
 * the old jar's own {@code BenchNetworks} from the same spec and seed, so both engines see the same weights.
 */
final class OldEngine implements AutoCloseable {

    private final URLClassLoader loader;
    private final Object predictor;
    private final Method predict;
    private final Method network;
    private final Method spec;

    OldEngine(Path jar, int threads) throws ReflectiveOperationException, java.io.IOException {
        ClassLoader parent = OldEngine.class.getClassLoader();
        this.loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, parent) {
            @Override
            protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
                if (!name.startsWith("dev.mcdropout.")) {
                    return super.loadClass(name, resolve);
                }
                synchronized (getClassLoadingLock(name)) {
                    Class<?> c = findLoadedClass(name);
                    if (c == null) {
                        c = findClass(name);
                    }
                    if (resolve) {
                        resolveClass(c);
                    }
                    return c;
                }
            }
        };
        Class<?> predictorClass = loader.loadClass("dev.mcdropout.nn.MonteCarloPredictor");
        Class<?> networkClass = loader.loadClass("dev.mcdropout.nn.Network");
        Class<?> specClass = loader.loadClass("dev.mcdropout.nn.NetworkSpec");
        Class<?> bench = loader.loadClass("dev.mcdropout.bench.BenchNetworks");
        this.predictor = predictorClass.getConstructor(int.class).newInstance(threads);
        this.predict = predictorClass.getMethod("predict", networkClass, INDArray.class, int.class, long.class,
                boolean.class);
        this.spec = bench.getDeclaredMethod("spec", String.class);
        this.network = bench.getDeclaredMethod("network", specClass, long.class);
        spec.setAccessible(true);
        network.setAccessible(true);
    }

    /** The old build's network for {@code shape}, as an opaque object for {@link #predict}. */
    Object network(String shape, long seed) throws ReflectiveOperationException {
        return network.invoke(null, spec.invoke(null, shape), seed);
    }

    void predict(Object oldNetwork, INDArray raw, int samples, long seed) {
        try {
            predict.invoke(predictor, oldNetwork, raw, samples, seed, false);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() throws Exception {
        ((AutoCloseable) predictor).close();
        loader.close();
    }
}
