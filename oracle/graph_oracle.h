// The op oracle of graph cases: the optimized executor, on the original
// graph and on the optimized graph, must stay inside the original graph's
// envelope (oracle/graph_envelope.h), with error parity on the original.
#pragma once

#include "cases/graph_case.h"
#include "oracle/backend_interface.h"
#include "oracle/verdict.h"

namespace qdiff {

Verdict check_graph(const GraphCase& c, const Backend& backend);

}  // namespace qdiff
