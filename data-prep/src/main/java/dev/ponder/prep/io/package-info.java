/** Hadoop file-system helpers shared by the prep job and the training jobs (file, hdfs, s3a). */
package dev.ponder.prep.io;
