/**
 * The command line: {@code java -jar target/vertx-domains.jar run ...}, Vert.x's launcher with supervision by
 * default, supervisor settings layered from {@code conf/}, {@code -conf}, environment and system properties, and
 * bad input refused before anything starts. Entry point: {@link dev.vertxdomains.launcher.DomainsLauncher}.
 */
package dev.vertxdomains.launcher;
