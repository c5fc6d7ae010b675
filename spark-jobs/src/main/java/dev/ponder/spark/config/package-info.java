/**
 * Strict configuration: YAML files plus {@code --set key=value} overrides, resolved against a
 * schema of dotted keys with types and defaults. An unknown key or a value of the wrong type is
 * an error naming the key, the expected type and what was found; the resolved configuration is
 * recorded with every run.
 */
package dev.ponder.spark.config;
