/**
 * Benchmarks, run by {@code bench/run.sh}: each driver prints {@code RESULT} lines that the script gathers into one
 * table. Not part of the library.
 */
package dev.vertxdomains.bench;
