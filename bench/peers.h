// Other libraries' quantize / dequantize on the same buffers and in the
// same run as qdiff's kernels, one core each. Each file is compiled only
// when configure found its library (cmake/optional_peers.cmake); a
// missing peer leaves its columns of the summary at "-".
#pragma once

namespace qdiff::bench {

// XNNPACK's convert operators (f32 -> qs8, qs8 -> f32): per-tensor only,
// "xnnpack/<op>/per_tensor/<shape>" for every shape (xnnpack_peer.cc).
void register_xnnpack_peer();

// oneDNN's reorder f32 <-> s8 with scales and zero points: per-tensor and
// per-channel scales along any one axis (one zero point: the most 2.6
// takes), "onednn/<op>/<layout>/<shape>"
// (onednn_peer.cc).
void register_onednn_peer();

}  // namespace qdiff::bench
