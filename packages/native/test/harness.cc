// Sanitizer harness for the kernel: every image file given is validated and, when accepted,
// run over random batches; then corrupted copies (random byte flips, hostile header and
// index values) must be rejected or run without reading out of bounds. Built with
// -fsanitize=address,undefined by scripts/sanitize.mjs; any bad access aborts the run.
#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <string>
#include <vector>

#include "../src/kernel.h"

namespace {

uint64_t rng_state = 0x9e3779b97f4a7c15ull;
uint32_t next() {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return uint32_t(rng_state >> 11);
}

constexpr uint32_t kHeaderWords = 48, kSectionTable = 24;
// Section numbers in the header's table, and where an entry's tier fields are.
enum { kLpm4, kLpm6, kEntries, kPortMap, kPortSets, kEgress, kIngress, kHosts6, kTierEgress, kTierIngress, kTierDecisions };
// u32 words per entry (IMAGE.md, version 5); the tier fields are the entry's u16 halves 12-15.
constexpr uint32_t kStride = 8, kTierHalves = 12;

// A verdict byte the kernel may write: 0x80 alone, or bit 0 saying whether neither 3-bit
// direction code is a denying one (1 NetworkPolicy, 5 Admin, 7 Baseline).
bool possible(uint8_t v) {
  if (v == netpol::kMalformed) return true;
  if (v & 0x80) return false;
  const uint32_t denying = (1u << 1) | (1u << 5) | (1u << 7);
  const bool denied = ((denying >> ((v >> 1) & 7)) | (denying >> ((v >> 4) & 7))) & 1;
  return (v & 1) == (denied ? 0 : 1);
}

// What the last valid image holds, for flows that reach its policies (random addresses
// seldom hit a pod, random ports seldom a rule's): pod addresses, IPv4 and IPv6, and the TCP
// and UDP ports where the port class changes.
std::vector<uint32_t> pods4;
std::vector<std::array<uint32_t, 4>> pods6;
std::vector<uint16_t> ports;

void harvest(const netpol::Image& img) {
  pods4.clear();
  pods6.clear();
  ports.clear();
  const auto pod = [&](uint32_t e) { return e < img.entry_count && img.entries[uint64_t(e) * kStride] != 0; };
  const auto leaf = [](uint32_t v) { return (v & 0x80000000u) == 0; };
  for (uint32_t i = 0; i < 65536 && pods4.size() < 4096; i++) {
    const uint32_t v = img.lpm4[i];
    if (leaf(v)) {
      if (pod(v)) pods4.push_back(i << 16);
      continue;
    }
    for (uint32_t j = 0; j < 256; j++) {
      const uint32_t w = img.lpm4[(v & 0x7fffffffu) + j];
      if (leaf(w)) {
        if (pod(w)) pods4.push_back(i << 16 | j << 8);
        continue;
      }
      for (uint32_t k = 0; k < 256; k++) {
        if (pod(img.lpm4[(w & 0x7fffffffu) + k])) pods4.push_back(i << 16 | j << 8 | k);
      }
    }
  }
  for (uint32_t i = 0; i <= img.hosts6_mask; i++) {
    const uint32_t* slot = img.hosts6 + uint64_t(i) * 5;
    if (slot[4] != 0 && pod(slot[4] - 1)) pods6.push_back({slot[0], slot[1], slot[2], slot[3]});
  }
  for (uint32_t p = 1; p < 2 * 65536 && ports.size() < 512; p++) {
    if (p != 65536 && img.port_map[p] != img.port_map[p - 1]) ports.push_back(uint16_t(p));
  }
}

// Runs random IPv4 and mixed-family batches (exact-size arrays, so ASan sees any overrun),
// with and without name classes (some beyond the image's count: those flows are malformed),
// on `img` and on each of `same` (the same bytes read another way), whose answers must be
// the same bytes.
void run_batches(const netpol::Image& img, int rounds, std::initializer_list<const netpol::Image*> same = {}) {
  for (int r = 0; r < rounds; r++) {
    const size_t n = 1 + next() % 300;
    const bool mixed = next() & 1;
    const size_t words = mixed ? 4 : 1;
    std::vector<uint32_t> src(n * words), dst(n * words);
    std::vector<uint8_t> proto(n), fam(n), flags(n), out(n);
    std::vector<uint16_t> port(n), names(n);
    for (size_t i = 0; i < n * words; i++) {
      // Bias towards 10.x and fd00:: so that lookups reach deep trie levels.
      src[i] = (next() & 3) ? (0x0a000000u | (next() & 0x00ffffffu)) : next();
      dst[i] = (next() & 3) ? (0xfd000000u | (next() & 0xffu)) : next();
    }
    static const uint8_t protos[] = {6, 17, 132, 1, 58, 47, 0, 255};
    for (size_t i = 0; i < n; i++) {
      proto[i] = protos[next() % 8];
      port[i] = uint16_t(next());
      fam[i] = (next() % 10) ? (next() & 1 ? 4 : 6) : uint8_t(next());  // some invalid families
      flags[i] = uint8_t(next() & 1);
      names[i] = uint16_t(next() % 8 ? next() % (img.name_classes + 1) : next());
      // Half the flows between pods, on ports the rules name.
      if (next() & 1) {
        for (uint32_t* a : {&src[i * words], &dst[i * words]}) {
          if (mixed && fam[i] == 6 && !pods6.empty()) std::copy_n(pods6[next() % pods6.size()].begin(), 4, a);
          else if (!pods4.empty()) *a = pods4[next() % pods4.size()];
        }
        if (!ports.empty()) port[i] = uint16_t(ports[next() % ports.size()] - (next() & 1));
        proto[i] = (next() & 3) ? 6 : 17;
      }
    }
    const uint8_t* family = mixed ? fam.data() : nullptr;
    const uint8_t* replies = (next() & 1) ? flags.data() : nullptr;
    const uint16_t* classes = (next() & 1) ? names.data() : nullptr;
    netpol::verdict_batch(img, src.data(), dst.data(), proto.data(), port.data(), family, replies, classes, out.data(), n);
    for (size_t i = 0; i < n; i++) {
      if (!possible(out[i])) {
        std::fprintf(stderr, "impossible verdict byte %u\n", out[i]);
        std::exit(3);
      }
    }
    for (const netpol::Image* other : same) {
      std::vector<uint8_t> again(n);
      netpol::verdict_batch(*other, src.data(), dst.data(), proto.data(), port.data(), family, replies, classes, again.data(), n);
      if (again != out) {
        std::fprintf(stderr, "the same image read another way gave other verdicts\n");
        std::exit(6);
      }
    }
  }
}

// `img` with the other IPv4 loop (Image::grouped flipped): the same bytes, the same verdicts.
netpol::Image other_loop(const netpol::Image& img) {
  netpol::Image copy = img;
  copy.grouped = !img.grouped;
  return copy;
}

// Bytes validate() accepted (`img`, read with per-read checks), which nobody changes
// afterwards: read as a private copy too, with its tier-code table and without (reading the
// tier sets), each with both IPv4 loops; validation alone must keep the unchecked kernel
// inside the image, and all six must give the same verdicts.
void run_validated(const netpol::Image& img, const uint8_t* data, size_t len, int rounds = 5) {
  netpol::Image table, sets;
  std::string error;
  if (!netpol::validate(data, len, &table, &error) || !netpol::validate(data, len, &sets, &error, 0)) std::exit(5);
  table.checked = sets.checked = false;
  const netpol::Image img2 = other_loop(img), table2 = other_loop(table), sets2 = other_loop(sets);
  run_batches(img, rounds, {&table, &sets, &img2, &table2, &sets2});
}

}  // namespace

int main(int argc, char** argv) {
  size_t images = 0, corrupt_accepted = 0, corrupt_rejected = 0, batches = 0;
  for (int a = 1; a < argc; a++) {
    std::ifstream f(argv[a], std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    std::vector<uint32_t> storage((bytes.size() + 3) / 4);
    std::memcpy(storage.data(), bytes.data(), bytes.size());
    const auto* data = reinterpret_cast<const uint8_t*>(storage.data());
    netpol::Image img;
    std::string error;
    if (!netpol::validate(data, bytes.size(), &img, &error)) {
      std::fprintf(stderr, "%s: a compiled image was rejected: %s\n", argv[a], error.c_str());
      return 2;
    }
    images++;
    harvest(img);
    // A corrupted copy: refused, or accepted and run (checked, then unchecked).
    auto corrupt = [&](std::vector<uint32_t>& copy) {
      netpol::Image bad;
      if (!netpol::validate(reinterpret_cast<uint8_t*>(copy.data()), bytes.size(), &bad, &error)) {
        corrupt_rejected++;
        return;
      }
      corrupt_accepted++;
      run_validated(bad, reinterpret_cast<uint8_t*>(copy.data()), bytes.size());
      batches += 5;
    };
    // A pristine copy validated, then changed by `scribble` behind the kernel's back (a live
    // image patched in place, or JS writing into the buffer), then run with per-read checks.
    auto changed_after = [&](auto scribble) {
      std::vector<uint32_t> copy(storage);
      netpol::Image live;
      if (!netpol::validate(reinterpret_cast<uint8_t*>(copy.data()), bytes.size(), &live, &error)) std::exit(5);
      scribble(copy);
      const netpol::Image live2 = other_loop(live);
      run_batches(live, 5, {&live2});
      batches += 5;
      corrupt_accepted++;
    };
    run_batches(img, 100);
    run_validated(img, data, bytes.size(), 50);  // as a private copy, both ways, the same verdicts
    batches += 150;
    // Corruptions: each copy exactly as large as the image, so ASan bounds are tight.
    for (int c = 0; c < 120; c++) {
      std::vector<uint32_t> copy(storage);
      auto* bytes8 = reinterpret_cast<uint8_t*>(copy.data());
      const int flips = 1 + next() % 8;
      for (int k = 0; k < flips; k++) {
        size_t at;
        switch (next() % 4) {
          case 0: at = next() % (kHeaderWords * 4); break;                   // the header
          case 1: at = kHeaderWords * 4 + next() % (bytes.size() > 4096 ? 4096 : bytes.size() - kHeaderWords * 4); break;  // first sections
          default: at = next() % bytes.size();
        }
        bytes8[at] = (next() & 1) ? uint8_t(next()) : uint8_t(0xff);
      }
      corrupt(copy);
    }
    // Trie pointers to chunks that exist (loops, shared chunks, chains deeper than a lookup
    // reads): the slot checks pass, so only the level walk (trie-depth) can refuse these.
    for (int c = 0; c < 60; c++) {
      std::vector<uint32_t> copy(storage);
      const int s = int(next() & 1);  // lpm4 or lpm6
      const uint32_t off = copy[kSectionTable + 2 * s] / 4, len = copy[kSectionTable + 2 * s + 1];
      if (len < 65536 + 512) continue;  // a single chunk: nothing to loop through
      for (int k = 1 + int(next() % 4); k > 0; k--) copy[off + 65536 + next() % (len - 65536)] = 0x80000000u | (65536 + next() % (len - 65536 - 255));
      corrupt(copy);
    }
    // Changed after validation: the section bytes are scribbled on, the validated Image is
    // kept, and every read must still stay inside the image (the header is never changed in place).
    for (int c = 0; c < 60; c++) {
      changed_after([&](std::vector<uint32_t>& copy) {
        auto* bytes8 = reinterpret_cast<uint8_t*>(copy.data());
        for (int k = 1 + int(next() % 64); k > 0; k--) bytes8[kHeaderWords * 4 + next() % (bytes.size() - kHeaderWords * 4)] = (next() & 1) ? uint8_t(next()) : uint8_t(0xff);
      });
    }
    // The tier tables are small beside the tries: random flips seldom reach them. Values
    // written into the tier matrices, the tier decisions and the entries' tier fields, before
    // validation (refused or run safely) and after it (run with per-read checks).
    auto scribble_tiers = [&](std::vector<uint32_t>& copy) {
      const int k = int(next() % 4);
      const uint32_t* table = copy.data() + kSectionTable;
      if (k == 3) {
        const uint32_t entries = table[2 * kEntries + 1] / kStride;
        if (entries == 0) return;
        auto* halves = reinterpret_cast<uint16_t*>(reinterpret_cast<uint8_t*>(copy.data()) + table[2 * kEntries]);
        halves[(next() % entries) * kStride * 2 + kTierHalves + next() % 4] = uint16_t((next() & 1) ? next() % 8 : next());
        return;
      }
      const int section = kTierEgress + k;
      const uint32_t at = table[2 * section], n = table[2 * section + 1];
      if (n == 0) return;
      const uint32_t value = (next() & 1) ? next() % 8 : next();
      if (section == kTierDecisions) copy[at / 4 + next() % n] = value;
      else reinterpret_cast<uint16_t*>(reinterpret_cast<uint8_t*>(copy.data()) + at)[next() % n] = uint16_t(value);
    };
    for (int c = 0; c < 60; c++) {
      std::vector<uint32_t> copy(storage);
      for (int k = 1 + int(next() % 3); k > 0; k--) scribble_tiers(copy);
      corrupt(copy);
    }
    for (int c = 0; c < 60; c++) {
      changed_after([&](std::vector<uint32_t>& copy) {
        for (int k = 1 + int(next() % 8); k > 0; k--) scribble_tiers(copy);
      });
    }
    // Truncations are always rejected.
    for (size_t cut : {size_t(0), size_t(64), size_t(kHeaderWords * 4 - 4), bytes.size() / 2, bytes.size() - 4}) {
      netpol::Image bad;
      if (netpol::validate(data, cut, &bad, &error)) {
        std::fprintf(stderr, "%s: truncated image (%zu bytes) accepted\n", argv[a], cut);
        return 4;
      }
    }
  }
  std::printf("sanitize: %zu images, %zu batches, corrupted copies: %zu rejected, %zu accepted and run safely\n", images, batches,
              corrupt_rejected, corrupt_accepted);
  return images > 0 ? 0 : 1;
}
