// Where a finding (a failing case of a property) is stored:
// DIR/<Property>-<content hash>.json, named by the canonical case file
// text (cases/content_hash.h), so two runs sharing a findings directory
// never overwrite each other and the same finding is stored once.
#pragma once

#include <string>

#include "cases/case.h"

namespace qdiff {

// The file name for case file text `text` of `property` ("case" if none).
std::string finding_file_name(const std::string& property, const std::string& text);

// Writes the finding durably (cases/durable_file.h) and returns its path;
// throws WriteError, and then the caller prints the case in full instead.
std::string save_finding(const std::string& dir, const CaseFile& finding);

}  // namespace qdiff
