// The case-file parser target's check, shared by the libFuzzer entry
// (fuzz/case_file_fuzz.cc) and the qdiff command's seed replay. Any bytes
// must either parse or be rejected with malformed_case (or too_large for a
// shape over the cap), never crash. A parsed case must re-serialize to a
// fixed point (write(parse(write(c))) == write(c)) and pass the oracle.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "oracle/backend_interface.h"

namespace qdiff::fuzz {

// nullopt when the input is handled correctly; otherwise what went wrong.
std::optional<std::string> check_case_file_bytes(const uint8_t* data, size_t size,
                                                 const Backend& backend);

// The libFuzzer entry of a case-file target (case_file, graph_case_file):
// checks the bytes against impl/ and aborts with the finding printed.
int case_file_fuzz_entry(std::string_view target_name, const uint8_t* data, size_t size);

}  // namespace qdiff::fuzz
