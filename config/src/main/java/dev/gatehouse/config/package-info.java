/**
 * The Gatehouse configuration model: immutable records for a node's file ({@link dev.gatehouse.config.GatehouseConfig})
 * and for the cluster-wide shared part ({@link dev.gatehouse.config.SharedConfig}), read from YAML or JSON by
 * {@link dev.gatehouse.config.ConfigParser}, checked by {@link dev.gatehouse.config.ConfigValidator} and written back
 * by {@link dev.gatehouse.config.ConfigWriter}. Every mistake in a file is reported at once, each as a
 * {@link dev.gatehouse.config.ConfigProblem} with its path ({@code routes[2].pool: unknown pool "apii"}), inside one
 * {@link dev.gatehouse.config.ConfigException}. Absent values take documented defaults in the records' constructors.
 * The package holds data and rules only: no Vert.x, no Hazelcast, and no I/O beyond reading a file.
 */
package dev.gatehouse.config;
