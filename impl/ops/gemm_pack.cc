// Packing the weights of the narrow GEMM path (gemm.h, PackedWeights):
// w' = qw + ow as int8 in panels of 64 channels x depth quads, every group
// padded to whole quads with w' = 0 (so padding adds nothing to D whatever
// x holds there), channels padded to a multiple of 16 with w' = 0; and per
// panel, group and channel the epilogue's a = cs - n Zw, Zw and s_w.
#include <cstdlib>
#include <cstring>

#include "core/error.h"
#include "impl/ops/gemm.h"

namespace qdiff::impl {
namespace {

std::shared_ptr<int8_t> zeroed_buffer(int64_t bytes) {
  // 64-byte aligned, rounded up to a whole line (aligned_alloc's rule).
  const size_t size = size_t((bytes + 63) / 64 * 64 + 64);
  void* p = std::aligned_alloc(64, size);
  if (!p) fail(ErrorKind::too_large, "cannot allocate {} bytes of packed weights", size);
  std::memset(p, 0, size);
  return std::shared_ptr<int8_t>(static_cast<int8_t*>(p), [](int8_t* q) { std::free(q); });
}

template <typename W>
void pack_typed(const WeightMatrix& wm, const DepthGroups& groups, PackedWeights& pw) {
  const W* w = static_cast<const W*>(wm.data);
  const QuantParams& p = *wm.params;
  const auto scale = p.scale.data<float>();
  const bool has_zp = p.zero_point && p.zero_point_domain == ZeroPointDomain::int_domain;
  const int64_t G = groups.count;
  bool any_zw = false;
  std::vector<int32_t> zw_table(pw.a.size(), 0);
  for (int64_t panel = 0; panel < pw.panels; ++panel) {
    const int width = pw.panel_width(panel);
    int8_t* dst = pw.data.get() + panel * kPanelWidth * pw.quads * kQuad;
    for (int c = 0; c < width; ++c) {
      const int64_t k = panel * kPanelWidth + c;
      if (k >= wm.channels) break;  // padding channels stay 0
      const W* row = w + k * wm.row_stride;
      const int64_t global = wm.channel_offset + k;
      for (int64_t g = 0; g < G; ++g) {
        const int64_t si = wm.scale_index(global, g, G);
        const int64_t first = groups.start[size_t(g)], n = groups.length(g);
        const int64_t q0 = pw.quad_start[size_t(g)];
        uint32_t cs = 0;
        for (int64_t i = 0; i < n; ++i) {
          const int32_t v = int32_t(row[groups.column(first + i)]) + pw.ow;  // in [-128, 127]
          const int64_t q = q0 + i / kQuad;
          dst[(q * width + c) * kQuad + i % kQuad] = int8_t(v);
          cs += uint32_t(v);
        }
        const int32_t zw = int32_t((has_zp ? p.zero_point->int_at(si) : 0) + pw.ow);
        const int64_t t = pw.table_offset(panel, g) + c;
        // a = cs - n Zw, modulo 2^32 (only acc needs to fit in int32)
        pw.a[size_t(t)] = int32_t(cs - uint32_t(n) * uint32_t(zw));
        zw_table[size_t(t)] = zw;
        any_zw = any_zw || zw != 0;
        pw.sw[size_t(t)] = scale[size_t(si)];
      }
    }
  }
  if (any_zw) pw.zw = std::move(zw_table);
}

}  // namespace

int64_t DepthGroups::max_length() const {
  int64_t m = 0;
  for (int64_t g = 0; g < count; ++g) m = length(g) > m ? length(g) : m;
  return m;
}

int64_t PackedWeights::extra_bytes() const {
  return data_bytes + int64_t(a.size() + zw.size()) * 4 + int64_t(sw.size()) * 4;
}

bool packable_weights(const QuantParams& p) {
  return (p.dtype == DType::i8 || p.dtype == DType::u8) &&
         p.zero_point_domain != ZeroPointDomain::float_domain;
}

PackedWeights pack_weights(const WeightMatrix& wm, const DepthGroups& groups) {
  PackedWeights pw;
  pw.channels = wm.channels;
  pw.depth = groups.depth;
  pw.groups = groups.count;
  pw.w_dtype = wm.dtype;
  pw.channel_offset = wm.channel_offset;
  pw.ow = wm.dtype == DType::u8 ? -128 : 0;
  pw.quad_start.resize(size_t(groups.count) + 1);
  pw.group_length.resize(size_t(groups.count));
  int64_t q = 0;
  for (int64_t g = 0; g < groups.count; ++g) {
    pw.quad_start[size_t(g)] = q;
    pw.group_length[size_t(g)] = groups.length(g);
    q += (groups.length(g) + kQuad - 1) / kQuad;
  }
  pw.quad_start[size_t(groups.count)] = q;
  pw.quads = q;
  pw.panels = (wm.channels + kPanelWidth - 1) / kPanelWidth;
  if (pw.panels == 0) return pw;
  // Every panel but the last is full width; panel(p) relies on it.
  pw.data_bytes = ((pw.panels - 1) * kPanelWidth + pw.panel_width(pw.panels - 1)) * pw.quads * kQuad;
  pw.data = zeroed_buffer(pw.data_bytes);
  const size_t table = size_t(pw.panels * groups.count * kPanelWidth);
  pw.a.assign(table, 0);
  pw.sw.assign(table, 0.0f);
  if (wm.dtype == DType::i8) {
    pack_typed<int8_t>(wm, groups, pw);
  } else {
    pack_typed<uint8_t>(wm, groups, pw);
  }
  return pw;
}

}  // namespace qdiff::impl
