// The taps of one conv2d output (SPEC section 8, docs/graph.md), shared by
// the reference's qconv2d and f32 conv2d: for output [n, o, oh, ow], every
// (c, i, j) of o's group in that order whose input position
//   ih = oh*stride_h - pad_top + i*dilation_h,  iw likewise
// lies inside the input; the others read zero padding (a real 0.0), which
// adds nothing. f(xi, wi) gets the flat offsets into x [N, C, H, W] and
// w [O, C / groups, kh, kw].
#pragma once

#include <cstdint>
#include <span>

#include "core/fused_ops.h"
#include "core/op_geometry.h"

namespace qdiff::reference {

template <typename F>
void for_each_conv2d_tap(const Conv2dGeometry& g, const Conv2dAttrs& at,
                         std::span<const int64_t> out_index, F&& f) {
  const int64_t n = out_index[0], o = out_index[1], oh = out_index[2], ow = out_index[3];
  const int64_t group = o / g.o_per_group;  // O >= 1 here, so o_per_group >= 1
  for (int64_t c = 0; c < g.c_per_group; ++c) {
    const int64_t ci = group * g.c_per_group + c;
    for (int64_t i = 0; i < g.kh; ++i) {
      // 128-bit: stride, padding and dilation may each be near 2^63.
      const __int128 ih = __int128(oh) * at.stride[0] - at.padding[0] + __int128(i) * at.dilation[0];
      if (ih < 0 || ih >= g.h) continue;
      for (int64_t j = 0; j < g.kw; ++j) {
        const __int128 iw = __int128(ow) * at.stride[1] - at.padding[1] + __int128(j) * at.dilation[1];
        if (iw < 0 || iw >= g.w) continue;
        f(((n * g.c + ci) * g.h + int64_t(ih)) * g.w + int64_t(iw),
          ((o * g.c_per_group + c) * g.kh + i) * g.kw + j);
      }
    }
  }
}

}  // namespace qdiff::reference
