// A graph case as a readable listing for `qdiff explain`: one line per node
// with its kind, name, inputs and the dtype and shape of the value it
// produces (evaluated with the reference), and, for every QuantParams a
// node carries (quantize / dequantize, and the x / w / out params of fused
// nodes), the layout class it has against the tensor it applies to.
#pragma once

#include <string>

#include "cases/graph_case.h"

namespace qdiff::tools {

std::string graph_listing(const GraphCase& c);

}  // namespace qdiff::tools
