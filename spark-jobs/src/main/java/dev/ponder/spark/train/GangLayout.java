package dev.ponder.spark.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which worker partitions each task of a {@link WorkerGang} hosts, and where each task prefers to
 * run. Without a placement: min(workers, slots) tasks, task t hosting partitions t, t + tasks,
 * ... (so 4 workers on 2 slots train in two waves per round, as a round's own tasks would). With
 * one: partitions placed on the same location(s) share a task (they would have run there in
 * turn), one task per distinct location list.
 *
 * @param hosted the partitions of each task, ascending
 * @param locations each task's preferred locations (empty: Spark chooses)
 */
record GangLayout(List<List<Integer>> hosted, List<List<String>> locations) {
    GangLayout {
        hosted = List.copyOf(hosted);
        locations = List.copyOf(locations);
    }

    /** The layout of {@code where} (one location list per partition) on {@code slots} task slots. */
    static GangLayout of(List<List<String>> where, int slots) {
        int workers = where.size();
        if (where.stream().allMatch(List::isEmpty)) {
            int tasks = Math.max(1, Math.min(workers, slots));
            List<List<Integer>> hosted = new ArrayList<>();
            for (int t = 0; t < tasks; t++) {
                List<Integer> mine = new ArrayList<>();
                for (int p = t; p < workers; p += tasks) {
                    mine.add(p);
                }
                hosted.add(mine);
            }
            return new GangLayout(hosted, java.util.Collections.nCopies(tasks, List.of()));
        }
        Map<List<String>, List<Integer>> byPlace = new LinkedHashMap<>();
        for (int p = 0; p < workers; p++) {
            byPlace.computeIfAbsent(List.copyOf(where.get(p)), k -> new ArrayList<>()).add(p);
        }
        return new GangLayout(new ArrayList<>(byPlace.values()), new ArrayList<>(byPlace.keySet()));
    }

    int tasks() {
        return hosted.size();
    }

    int[] partitionsOf(int task) {
        return hosted.get(task).stream().mapToInt(Integer::intValue).toArray();
    }
}
