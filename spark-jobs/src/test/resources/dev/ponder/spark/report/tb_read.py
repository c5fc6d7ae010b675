"""Reads a TensorBoard event file with TensorBoard's own code and prints what it found as JSON.

Used by TensorBoardLogTest as an independent reader. Two passes: the record reader that
TensorBoard falls back to without TensorFlow (it verifies both masked CRC32Cs of every record and
raises DataLossError otherwise), decoding each record with TensorBoard's Event protobuf; then
EventAccumulator, the loader behind TensorBoard's dashboards, for the scalars and histograms.
"""
import json
import sys

from tensorboard.backend.event_processing import event_accumulator
from tensorboard.compat.proto import event_pb2
from tensorboard.compat.tensorflow_stub import errors
from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import PyRecordReader_New

path = sys.argv[1]
reader = PyRecordReader_New(path)
events = []
while True:
    try:
        reader.GetNext()
    except errors.OutOfRangeError:
        break
    event = event_pb2.Event()
    event.ParseFromString(reader.record())
    events.append(event)

acc = event_accumulator.EventAccumulator(path, size_guidance={"scalars": 0, "histograms": 0})
acc.Reload()
tags = acc.Tags()
out = {
    "records": len(events),
    "file_version": events[0].file_version if events else None,
    "steps": [e.step for e in events],
    "scalars": {t: [[s.step, s.value] for s in acc.Scalars(t)] for t in tags["scalars"]},
    "histograms": {
        t: [
            {
                "step": h.step,
                "min": h.histogram_value.min,
                "max": h.histogram_value.max,
                "num": h.histogram_value.num,
                "sum": h.histogram_value.sum,
                "sum_squares": h.histogram_value.sum_squares,
                "bucket_limit": list(h.histogram_value.bucket_limit),
                "bucket": list(h.histogram_value.bucket),
            }
            for h in acc.Histograms(t)
        ]
        for t in tags["histograms"]
    },
}
print(json.dumps(out))
