/**
 * The supervisor's SPI, for vertx-domains' own integrations (HTTP, vertx-web, the event bus, the cluster): the
 * generation and slot a request runs in ({@link dev.vertxdomains.supervisor.spi.Generation},
 * {@link dev.vertxdomains.supervisor.spi.SlotScope}), the hand-off of work to the serving generation
 * ({@link dev.vertxdomains.supervisor.spi.GenerationHandlers}), drains, the rate-limited fault log, and the hooks a
 * layer above gives the supervisor ({@link dev.vertxdomains.supervisor.spi.Integrations}: a start gate, give-up
 * actions). Applications use {@link dev.vertxdomains.supervisor}; this package may change between minor versions.
 */
package dev.vertxdomains.supervisor.spi;
