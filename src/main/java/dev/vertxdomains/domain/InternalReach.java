package dev.vertxdomains.domain;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Field;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * One place where vertx-domains reaches into Vert.x internals that neither the public API nor the exported
 * {@code io.vertx.core.internal} SPI offers (a private field, an implementation class), with the check that it is
 * there in the running Vert.x. For vertx-domains' own layers, not for applications.
 * <p>
 * Each layer declares its reaches for the running {@link VertxLine} and calls {@link #require} where a feature is
 * first used (in a verticle's {@code start()}, so a failure fails the deployment). A missing reach is never a silent
 * fallback:
 * <ul>
 *   <li>{@link Need#BEHAVIOUR}: without it a promise would not hold (a listener with the user's options, requests on
 *       the serving generation's context, an added emitter's throws reaching its domain). {@code require} throws
 *       {@link Missing} (an {@link IllegalStateException}) naming the Vert.x version, the feature, what is missing
 *       and what to do.</li>
 *   <li>{@link Need#SPEED}: without it the feature works, slower or with a rare extra failure. {@code require} logs one
 *       WARN line naming what is slower, once per JVM, and returns.</li>
 * </ul>
 * A reach is checked once; later calls give the same answer.
 */
public final class InternalReach {

  /** What a missing reach costs. */
  public enum Need {
    /** A promise of the library would not hold: using the feature fails. */
    BEHAVIOUR,
    /** The feature still works, slower or less smoothly: one WARN line. */
    SPEED
  }

  /**
   * A behaviour reach that the running Vert.x lacks: what {@link #require()} throws. Retrying cannot help, so a
   * supervised deployment that meets it while starting fails at once.
   */
  public static final class Missing extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    Missing(String message) {
      super(message);
    }
  }

  private static final Logger LOG = LoggerFactory.getLogger(InternalReach.class);

  private final String feature;
  private final Need need;
  private final String without;
  private final Supplier<String> probe;
  /** {@code ""} when present, else what is missing; {@code null} until checked. */
  private volatile String missing;

  private InternalReach(String feature, Need need, String without, Supplier<String> probe) {
    this.feature = Objects.requireNonNull(feature, "feature");
    this.need = Objects.requireNonNull(need, "need");
    this.without = Objects.requireNonNull(without, "without");
    this.probe = Objects.requireNonNull(probe, "probe");
  }

  /**
   * A reach checked by a probe of its own.
   *
   * @param feature what the reach is for ("the request context of an HTTP connection")
   * @param need    what a missing reach costs
   * @param without what happens without it
   * @param probe   answers {@code null} when everything is there, else what is missing
   * @return the reach
   */
  public static InternalReach of(String feature, Need need, String without, Supplier<String> probe) {
    return new InternalReach(feature, need, without, probe);
  }

  /**
   * A reach to fields of Vert.x classes, each named {@code "class#field"} (the field may be declared in a superclass).
   *
   * @param feature what the reach is for
   * @param need    what a missing reach costs
   * @param without what happens without it
   * @param fields  {@code "io.vertx.core.http.impl.Http1xServerConnection#streamContextSupplier"}, ... (any form
   *                {@link #missingMembers} takes)
   * @return the reach
   */
  public static InternalReach fields(String feature, Need need, String without, String... fields) {
    String[] names = fields.clone();
    return of(feature, need, without, () -> missingMembers(names));
  }

  /**
   * A reach to one field of {@code type} (or a superclass): the form a test uses to point a check at a class without
   * the field.
   *
   * @param feature what the reach is for
   * @param need    what a missing reach costs
   * @param without what happens without it
   * @param type    the class
   * @param field   the field's name
   * @return the reach
   */
  public static InternalReach field(String feature, Need need, String without, Class<?> type, String field) {
    return of(feature, need, without, () -> findField(type, field) == null ? type.getName() + "#" + field : null);
  }

  /**
   * Checks every reach, in order (see {@link #require()}).
   *
   * @param reaches the reaches a feature needs
   * @throws Missing for the first missing {@link Need#BEHAVIOUR} reach
   */
  public static void requireAll(List<InternalReach> reaches) {
    for (InternalReach reach : reaches) {
      reach.require();
    }
  }

  /**
   * Checks this reach against the running Vert.x, once: a missing {@link Need#BEHAVIOUR} reach throws, a missing
   * {@link Need#SPEED} reach logs one WARN line (the first time).
   *
   * @throws Missing when a behaviour reach is missing
   */
  public void require() {
    String gap = missing;
    if (gap == null) {
      gap = check();
    }
    if (!gap.isEmpty() && need == Need.BEHAVIOUR) {
      throw new Missing(failure(gap));
    }
  }

  /**
   * Whether the reach is there (checks it if it was not yet, logging as {@link #require()} does for a speed reach).
   *
   * @return {@code true} when present
   */
  public boolean present() {
    String gap = missing;
    return (gap != null ? gap : check()).isEmpty();
  }

  /**
   * The error message of a missing behaviour reach.
   *
   * @param gap what is missing
   * @return the message: Vert.x version, feature, what is missing, what happens without it, what to do
   */
  String failure(String gap) {
    return "vertx-domains cannot provide " + feature + " on Vert.x " + VertxLine.version() + ": " + gap
      + " is not there, and without it " + without + ". Use a Vert.x version vertx-domains supports (5.0.x, 5.1.x or "
      + "5.2.x; README, \"Vert.x lines\"), or a vertx-domains release made for this one";
  }

  private synchronized String check() {
    if (missing != null) {
      return missing;
    }
    String gap;
    try {
      gap = probe.get();
    } catch (RuntimeException | LinkageError e) {
      gap = e.toString();
    }
    missing = gap == null ? "" : gap;
    if (gap != null && need == Need.SPEED) {
      LOG.warn("vertx-domains on Vert.x {}: {} is slower: {} is not there, so {}", VertxLine.version(), feature, gap,
        without);
    }
    return missing;
  }

  /**
   * What the reach is for.
   *
   * @return the feature, as error messages name it
   */
  public String feature() {
    return feature;
  }

  @Override
  public String toString() {
    return feature + " (" + need + ")";
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Probes

  /**
   * The first of the named classes or members that the running Vert.x lacks.
   *
   * @param names each {@code "class"}, {@code "class#field"} or {@code "class#method(ParamSimpleName,...)"}
   * @return {@code null} when every one exists, else the name of the first missing one
   */
  public static String missingMembers(String... names) {
    for (String name : names) {
      String gap = missingMember(name);
      if (gap != null) {
        return gap;
      }
    }
    return null;
  }

  private static String missingMember(String name) {
    int hash = name.indexOf('#');
    String className = hash < 0 ? name : name.substring(0, hash);
    Class<?> type = vertxClass(className);
    if (type == null) {
      return "class " + className;
    }
    if (hash < 0) {
      return null;
    }
    String member = name.substring(hash + 1);
    if (!member.endsWith(")")) {
      return findField(type, member) == null ? name : null;
    }
    String method = member.substring(0, member.indexOf('('));
    String params = member.substring(member.indexOf('(') + 1, member.length() - 1);
    for (Class<?> c = type; c != null; c = c.getSuperclass()) {
      boolean found = Arrays.stream(c.getDeclaredMethods()).anyMatch(m -> m.getName().equals(method)
        && Arrays.stream(m.getParameterTypes()).map(Class::getSimpleName).collect(Collectors.joining(","))
        .equals(params));
      if (found) {
        return null;
      }
    }
    return name;
  }

  /** A class of the running Vert.x (or Netty, or Hazelcast) by name, without initialising it; {@code null} if absent. */
  public static Class<?> vertxClass(String name) {
    try {
      return Class.forName(name, false, io.vertx.core.Vertx.class.getClassLoader());
    } catch (ClassNotFoundException | LinkageError e) {
      return null;
    }
  }

  /** The field named {@code name} of {@code type} or a superclass, made accessible; {@code null} when absent. */
  public static Field findField(Class<?> type, String name) {
    for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
      try {
        Field field = c.getDeclaredField(name);
        field.setAccessible(true);
        return field;
      } catch (NoSuchFieldException e) {
        // the superclass, then
      } catch (RuntimeException e) {
        return null; // not accessible (Vert.x on the module path)
      }
    }
    return null;
  }
}
