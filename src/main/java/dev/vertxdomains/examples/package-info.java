/**
 * Runnable examples, each a contract the tests and the README rely on: {@link dev.vertxdomains.examples.HelloServer},
 * {@link dev.vertxdomains.examples.WebServer}, {@link dev.vertxdomains.examples.ProofOfWorkServer},
 * {@link dev.vertxdomains.examples.WorkService}, {@link dev.vertxdomains.examples.ClusterDemo} and the event-bus
 * service {@link dev.vertxdomains.examples.Accounts} with {@link dev.vertxdomains.examples.AccountsVerticle}.
 */
@ModuleGen(name = "vertx-domains-examples", groupPackage = "dev.vertxdomains.examples")
package dev.vertxdomains.examples;

import io.vertx.codegen.annotations.ModuleGen;
