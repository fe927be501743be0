// The netpol image kernel: validation and batch verdicts over the image bytes that
// @netpol/core compiles (layout: packages/core/src/compile/IMAGE.md). No Node here, so
// it can be built alone under sanitizers and fuzzers.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace netpol {

struct Image {
  const uint32_t* lpm4 = nullptr;
  size_t lpm4_len = 0;
  const uint32_t* lpm6 = nullptr;
  size_t lpm6_len = 0;
  const uint32_t* entries = nullptr;
  uint32_t entry_count = 0;
  const uint16_t* port_map = nullptr;
  const uint32_t* port_sets = nullptr;
  uint32_t port_set_words = 0;
  const uint16_t* egress = nullptr;
  uint32_t egress_cols = 0;
  const uint16_t* ingress = nullptr;
  uint32_t ingress_cols = 0;
  const uint32_t* hosts6 = nullptr;  // slots of 5 words: w0..w3, entry + 1 (0 = empty)
  uint32_t hosts6_mask = 0;
  // Tiers (Admin and Baseline cluster-scoped policies): matrix cells are tier-decision ids,
  // each 4 port-set ids (adminAccept, adminDeny, baselineAccept, baselineDeny).
  const uint16_t* tier_egress = nullptr;
  uint32_t tier_egress_cols = 0;  // name classes included: a destination spans name_classes columns
  const uint16_t* tier_ingress = nullptr;
  uint32_t tier_ingress_cols = 0;
  const uint32_t* tier_decisions = nullptr;
  uint32_t name_classes = 1;
  uint32_t flags = 0;
  // Counts from the header, for the checks every read makes (see verdict_batch).
  // true: the bytes can change after validate() (a buffer JS can write, such as a live image
  // patched in place), so every index read from the image is clamped-checked at use;
  // false: the bytes are a private copy nobody else can write, validated once.
  bool checked = true;
  uint64_t egress_len = 0;   // cells
  uint64_t ingress_len = 0;
  uint64_t port_sets_len = 0;  // words
  uint64_t tier_egress_len = 0;  // cells
  uint64_t tier_ingress_len = 0;
  uint64_t tier_decisions_len = 0;  // words (4 per decision)
  // Per tier decision, bit j set when its port set j (adminAccept, adminDeny, baselineAccept,
  // baselineDeny) holds some class, as validate() found the bytes: read only when !checked
  // (bytes nobody can change), where it spares the reads of empty sets, the common case.
  std::vector<uint8_t> tier_sets;
  // Per tier decision and port class (decision × port_classes + class): the Admin code it
  // gives (4 accept, 5 deny, 0 none) | the Baseline code (6, 7, 0) << 4. Built by validate()
  // when no larger than its tier_code_limit, read only when !checked: one load instead of up
  // to four set reads. Empty: the sets are read (tier_sets says which).
  std::vector<uint8_t> tier_codes;
  uint32_t port_classes = 0;
  // The IPv4 loop runs in groups of flows, each stage prefetching what the next reads (see
  // run_grouped in kernel.cc): validate() sets it when the sections a verdict reads at random
  // (lpm4, entries, both matrices) hold kGroupedBytes or more. Either loop gives the same
  // verdicts; a caller may set it either way (the sanitizer harness runs both).
  bool grouped = false;
  // Some entry can have a tier row other than 0; false when both tier matrices have row 0
  // alone (no cluster-scoped policy selects any pod), where a private copy's kernel does not
  // look at tier rows at all.
  bool tiers = true;
};

// Checks everything a lookup can reach: header, section bounds and alignment, and every
// stored index (trie pointers and leaves, entry rows and columns, port classes, port-set
// ids). On success fills `out` so that no verdict can read outside the image.
// tier_code_limit: the most bytes Image::tier_codes may take (the default: 1 MiB, built in a
// few ms; 0: none, the kernel reads the tier sets).
constexpr uint64_t kTierCodeLimit = 1 << 20;
// Image::grouped from this many bytes of lpm4, entries and matrices: below, the sections stay
// in the caches and the grouped loop's extra instructions cost more than its prefetches save
// (measured on a 2-core EPYC with 1 MiB of L2 per core: kernel.cc, above run()).
constexpr uint64_t kGroupedBytes = 2 << 20;
bool validate(const uint8_t* data, size_t len, Image* out, std::string* error, uint64_t tier_code_limit = kTierCodeLimit);

constexpr uint8_t kMalformed = 0x80;

// Verdict bytes for `count` flows. With img.checked (bytes that may change after validate():
// a live image patched in place, any buffer JS can write), every index read from the image
// is checked against the header's counts before use, and a value out of range makes that
// flow kMalformed instead of a read outside the image. Without it (a private copy) the
// checks are skipped: they cost about 15% at 10k pods, on the dependent loads' path. words_per_addr is 1 (IPv4) or 4 (family[i] says 4 or 6;
// IPv4 in the first word). family, flags and name_class may be null; name_class[i] is the
// flow's destination-name class (null: class 0 for every flow), and a class the image does
// not have (>= name_classes) makes that flow kMalformed.
void verdict_batch(const Image& img, const uint32_t* src, const uint32_t* dst, const uint8_t* protocol,
                   const uint16_t* port, const uint8_t* family, const uint8_t* flags, const uint16_t* name_class,
                   uint8_t* out, size_t count);

}  // namespace netpol
