// qconv2d's differential property (qlinear_properties.cc has qlinear
// against its 1x1 qconv2d form).
#include "properties/fused_generators.h"
#include "properties/fused_properties.h"

namespace qdiff::props {

Property qconv2d_matches_reference() {
  return {"QConv2dOptimizedMatchesReference", "qconv2d", PropertyKind::differential,
          "qconv2d equals the ideal result except within the derived bound of a boundary",
          [](Source& s) -> Case { return draw_qconv2d_case(s, kFusedLimits); }, fused_differential};
}

}  // namespace qdiff::props
