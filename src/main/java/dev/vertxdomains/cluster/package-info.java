/**
 * Clustering on Hazelcast: the cluster configuration of the launcher ({@code conf/cluster.xml}, TCP-IP join), and a
 * cluster-wide view of every node's supervised workers with their errors and recycles. Entry points:
 * {@link dev.vertxdomains.cluster.ClusterConfig} and {@link dev.vertxdomains.cluster.ClusterView}.
 */
package dev.vertxdomains.cluster;
