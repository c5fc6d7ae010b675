package dev.ponder.prep.job;

import dev.ponder.prep.tokenizer.PreTokenizer;
import dev.ponder.prep.tokenizer.WordBytes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import scala.Tuple2;

/** Distributed counting of pre-tokenized words: the statistics BPE training needs. */
final class CountWords {
    private CountWords() {}

    static Map<WordBytes, Long> count(JavaRDD<byte[]> docs) {
        return docs.mapPartitionsToPair(CountWords::countPartition)
                .reduceByKey(Long::sum)
                .collectAsMap();
    }

    private static Iterator<Tuple2<WordBytes, Long>> countPartition(Iterator<byte[]> docs) {
        // Counting by (buffer, range) first would avoid a copy per word; a local map keeps the
        // shuffle small, which matters more.
        Map<WordBytes, long[]> local = new HashMap<>();
        PreTokenizer pre = new PreTokenizer();
        LineBuffer line = new LineBuffer();
        while (docs.hasNext()) {
            int n = line.load(docs.next());
            pre.forEachWord(line.bytes(), 0, n, (buf, start, end) ->
                    local.computeIfAbsent(new WordBytes(java.util.Arrays.copyOfRange(buf, start, end)),
                            k -> new long[1])[0]++);
        }
        List<Tuple2<WordBytes, Long>> out = new ArrayList<>(local.size());
        local.forEach((w, c) -> out.add(new Tuple2<>(w, c[0])));
        return out.iterator();
    }
}
