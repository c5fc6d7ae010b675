/**
 * A Spark standalone cluster on 127.0.0.1 from the jars the build already has: a minimal
 * SPARK_HOME (Spark's own launcher, jars copied by Maven) and a master with workers in child
 * JVMs. Used by the multi-JVM tests, {@code ponder bench scaling} and submit/local-standalone;
 * a real cluster needs none of it.
 */
package dev.ponder.spark.cluster;
