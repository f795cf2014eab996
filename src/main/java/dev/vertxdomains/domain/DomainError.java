package dev.vertxdomains.domain;

import java.util.Objects;

/**
 * One error delivered to a {@link Domain}: Node's error object with its {@code domain}, {@code domainEmitter},
 * {@code domainBound} and {@code domainThrown} fields, as an immutable record beside the cause instead of
 * properties patched onto it.
 *
 * @param cause   the error itself, delivered unchanged whatever its type
 * @param domain  the domain that first received the error
 * @param emitter the emitter (stream, server, connection) that reported it, or whose handler threw it when the
 *                emitter was {@linkplain Domain#add added} to the domain; {@code null} when unknown
 * @param bound   the handler passed to {@link Domain#intercept} whose asynchronous result carried the failure, or
 *                {@code null}
 * @param thrown  {@code true} when code running in the domain threw it; {@code false} when it arrived as a failed
 *                result, an emitter's exception or through {@link Domain#report}
 */
public record DomainError(Throwable cause, Domain domain, Object emitter, Object bound, boolean thrown) {

  /** Checks that the cause and the domain are present. */
  public DomainError {
    Objects.requireNonNull(cause, "cause");
    Objects.requireNonNull(domain, "domain");
  }

  @Override
  public String toString() {
    return "DomainError{domain=" + domain.id() + ", thrown=" + thrown
      + (emitter != null ? ", emitter=" + emitter.getClass().getSimpleName() : "")
      + (bound != null ? ", bound" : "")
      + ", cause=" + cause + "}";
  }
}
