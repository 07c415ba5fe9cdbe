// Where the qdiff command finds its data when not told (--corpus): the
// installed copy next to the binary (<prefix>/bin/qdiff reads
// <prefix>/share/qdiff/corpus, cmake/install.cmake), else the source tree
// it was built from (QDIFF_SOURCE_DIR). docs/install.md.
#pragma once

#include <string>

namespace qdiff::tools {

std::string default_corpus_dir();

}  // namespace qdiff::tools
