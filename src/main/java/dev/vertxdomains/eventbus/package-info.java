/**
 * Event-bus integration: every message handled by a consumer runs in its own domain; an error answers the sender at
 * once with a {@code RECIPIENT_FAILURE} (code 500, no stack trace), and a supervised consumer drains without losing
 * queued messages. Entry point: {@link dev.vertxdomains.eventbus.EventBusDomains}.
 */
package dev.vertxdomains.eventbus;
