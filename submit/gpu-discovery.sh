#!/usr/bin/env bash
# Spark GPU discovery script (spark.worker.resource.gpu.discoveryScript on standalone workers,
# spark.executor.resource.gpu.discoveryScript on YARN and Kubernetes): prints this host's NVIDIA
# GPUs as Spark expects, e.g. {"name":"gpu","addresses":["0","1"]}. Addresses are nvidia-smi
# indices (PCI bus order): run executors with CUDA_DEVICE_ORDER=PCI_BUS_ID so CUDA agrees.
set -euo pipefail
if ! command -v nvidia-smi >/dev/null 2>&1; then
  echo "gpu-discovery.sh: nvidia-smi not found" >&2
  echo '{"name":"gpu","addresses":[]}'
  exit 0
fi
ADDRS=$(nvidia-smi --query-gpu=index --format=csv,noheader | sed -e 's/[[:space:]]//g' -e '/^$/d' -e 's/.*/"&"/' | paste -sd, -)
echo "{\"name\":\"gpu\",\"addresses\":[${ADDRS}]}"
