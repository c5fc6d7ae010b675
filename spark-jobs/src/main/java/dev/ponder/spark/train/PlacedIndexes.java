package dev.ponder.spark.train;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import scala.Tuple2;
import scala.collection.JavaConverters;
import scala.collection.Seq;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/** An RDD of partitions 0..n-1, each holding its own index and preferring the locations given for it. */
final class PlacedIndexes {
    private PlacedIndexes() {}

    /** One partition per entry of {@code where}; an empty list prefers no location (what parallelize gives). */
    static JavaRDD<Integer> of(JavaSparkContext sc, List<List<String>> where) {
        List<Tuple2<Integer, Seq<String>>> placed = new ArrayList<>();
        for (int p = 0; p < where.size(); p++) {
            placed.add(new Tuple2<>(p, JavaConverters.asScalaBuffer(where.get(p)).toSeq()));
        }
        ClassTag<Integer> tag = ClassTag$.MODULE$.apply(Integer.class);
        return JavaRDD.fromRDD(sc.sc().makeRDD(JavaConverters.asScalaBuffer(placed).toSeq(), tag), tag);
    }
}
