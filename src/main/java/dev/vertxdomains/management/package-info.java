/**
 * Management: a small HTTP endpoint bound to the loopback interface by default that lists the supervised workers of
 * a process (and, on a cluster, of every node), read by the {@code list} command. Entry point:
 * {@link dev.vertxdomains.management.ManagementServer}.
 */
package dev.vertxdomains.management;
