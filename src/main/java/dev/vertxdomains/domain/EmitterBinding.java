package dev.vertxdomains.domain;

/**
 * Carried by the duplicated context of an emitter added to a domain (an HTTP server request or response, a server
 * WebSocket, one message of an added event-bus consumer): names the emitter in the errors thrown by the handlers
 * that run on that context.
 */
final class EmitterBinding {

  final Domain domain;
  /** Whether {@link Domain#add} put the domain on the context (so removing the last emitter takes it off). */
  final boolean domainByAdd;
  /** The first emitter of {@link #domain} added on this context that is still a member. */
  volatile Object emitter;

  EmitterBinding(Domain domain, Object emitter, boolean domainByAdd) {
    this.domain = domain;
    this.emitter = emitter;
    this.domainByAdd = domainByAdd;
  }
}
