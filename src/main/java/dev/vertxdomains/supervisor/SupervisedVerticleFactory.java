package dev.vertxdomains.supervisor;

import io.vertx.core.Deployable;
import io.vertx.core.Promise;
import io.vertx.core.spi.VerticleFactory;

import java.util.concurrent.Callable;

/**
 * The {@code supervised:} verticle factory: {@code vertx.deployVerticle("supervised:com.acme.App", options)} and
 * {@code vertx run supervised:com.acme.App} deploy {@code com.acme.App} under a {@link Supervisor}. Registered
 * through {@code META-INF/services/io.vertx.core.spi.VerticleFactory}.
 */
public class SupervisedVerticleFactory implements VerticleFactory {

  /** Creates the factory; Vert.x does this through {@link java.util.ServiceLoader}. */
  public SupervisedVerticleFactory() {
  }

  @Override
  public String prefix() {
    return Supervisor.PREFIX;
  }

  @Override
  public void createVerticle2(String verticleName, ClassLoader classLoader,
                              Promise<Callable<? extends Deployable>> promise) {
    String className = className(verticleName);
    Class<?> type;
    try {
      type = classLoader.loadClass(className);
    } catch (ClassNotFoundException | NoClassDefFoundError e) {
      promise.fail(new IllegalArgumentException("verticle: class " + className + " not found on the class path ("
        + verticleName + ")", e));
      return;
    }
    if (!Deployable.class.isAssignableFrom(type)) {
      promise.fail(new IllegalArgumentException("verticle: " + className
        + " is not a verticle (it must extend VerticleBase or AbstractVerticle, or implement Deployable)"));
      return;
    }
    java.lang.reflect.Constructor<?> constructor;
    try {
      constructor = type.getDeclaredConstructor();
    } catch (NoSuchMethodException e) {
      promise.fail(new IllegalArgumentException("verticle: " + className + " needs a no-argument constructor"));
      return;
    }
    SupervisedDeployment group = new SupervisedDeployment(className, () -> (Deployable) constructor.newInstance());
    promise.complete(() -> new Slot(group));
  }

  /** {@code supervised:com.acme.App} or {@code supervised:java:com.acme.App} → {@code com.acme.App}. */
  static String className(String verticleName) {
    String name = VerticleFactory.removePrefix(verticleName);
    if (name.startsWith("java:")) {
      name = name.substring("java:".length());
    }
    return name;
  }
}
