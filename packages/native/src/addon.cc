// N-API binding: loadImage(view, copy?) validates an image once. With `copy` it keeps a
// private copy (JS can no longer change what the kernel reads, so the kernel runs without
// per-read checks); without, it reads the caller's bytes (a live image patched in place) and
// the kernel checks every index it reads. verdictBatch(handle, ...) checks every argument's
// type and length on every call. Nothing JS can pass or write makes it read outside the
// image or the arrays.
//
// Lifetimes: Node runs N-API finalizers from the event loop (setImmediate), not during GC, so
// anything a finalizer releases lives until the caller yields. A handle is therefore a plain
// object that wraps only a small struct, and the GC frees the image bytes with the handle, at
// once: it holds the caller's view as a property, or (a private copy, which JS must not reach)
// is the key of an entry in a WeakMap only this addon can see, whose value is the copy (an
// ArrayBuffer). releaseImage() frees a private copy right away.
//
// Terminating workers: once Worker.terminate() starts, N-API calls that need JS fail and
// napi_throw itself fails; node-addon-api then aborts the process unless
// NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS is defined (binding.gyp), and this file calls no
// function that can run JS (no ToBoolean, no getters), so such failures stay in this call.
#include <napi.h>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "kernel.h"

namespace {

struct Loaded {
  netpol::Image image;
  Napi::Reference<Napi::Uint8Array> view;  // weak: the handle object holds the view (not for a private copy)
  Napi::Reference<Napi::ArrayBuffer> copy; // weak: the private copy, held by the addon's WeakMap
  bool owns = false;                       // reads a private copy (unchecked)
  const uint8_t* data;
  size_t length;
  bool released = false;                   // releaseImage() was called: no more verdicts
  int64_t external = 0;                    // bytes reported to V8 with napi_adjust_external_memory
};

// Per environment (each worker has its own): the WeakMap handle → private copy, and
// WeakMap.prototype.set as it was when the addon loaded.
struct Copies {
  Napi::ObjectReference map;
  Napi::FunctionReference set;
};

// Tells V8 how many bytes a handle keeps alive that it does not count itself: the bytes of a
// SharedArrayBuffer (V8 does not charge shared buffers to any isolate), and the tables
// validate() derives (Image::tier_codes, up to 1 MiB). Without it a worker
// that registers image after image never feels the memory and never collects the retired ones.
void Account(napi_env env, Loaded* l, int64_t bytes) {
  int64_t total = 0;
  if (bytes != 0 && napi_adjust_external_memory(env, bytes, &total) == napi_ok) l->external += bytes;
}

// Huge pages for a large private copy (Linux): a verdict makes about a dozen reads at random
// places in the image, and past a few MiB most of them also miss the TLB (4 KiB pages: 4,750
// of them at 100k pods); with 2 MiB pages the page walks go. The copy is allocated
// kHugePage bytes larger, starts at the first 2 MiB boundary inside, and its whole 2 MiB
// pages are marked MADV_HUGEPAGE before they are written (THP in "madvise" mode, the common
// default, then backs them with huge pages), then collapsed (MADV_COLLAPSE, Linux 6.1 on) in
// case the allocator had written them already. Nothing else changes: elsewhere, or when the
// kernel refuses, the copy keeps small pages. The head and tail outside the image are never
// written, so the padding costs address space, not memory. Measured at 100k pods / 20k
// policies (19.4 MB image, bench mixed trace, one process, alternated with a build without it,
// load 8-10): 0.84-0.85× the CPU time per verdict; loading (validation and copy) within the
// noise of the same load (median of 31, 36-60 ms either way).
constexpr size_t kHugePage = size_t(2) << 20;
constexpr size_t kHugeFrom = 2 * kHugePage;  // below, at most one huge page would fit

size_t HugePad(size_t length) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  return length >= kHugeFrom ? kHugePage : 0;
#else
  (void)length;
  return 0;
#endif
}

uint8_t* HugePages(uint8_t* mem, size_t length) {
  uint8_t* at = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(mem) + kHugePage - 1) & ~uintptr_t(kHugePage - 1));
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  madvise(at, length & ~(kHugePage - 1), MADV_HUGEPAGE);
#else
  (void)length;
#endif
  return at;
}

void Collapse(uint8_t* at, size_t length) {
#if defined(__linux__) && defined(MADV_COLLAPSE)
  madvise(at, length & ~(kHugePage - 1), MADV_COLLAPSE);
#else
  (void)at;
  (void)length;
#endif
}

// Tells our handles from any other object (napi_unwrap alone would accept another addon's).
const napi_type_tag kHandleTag = {0x6e6574706f6c0001ULL, 0x9b1f3c57a2d4e681ULL};

Napi::Value Fail(Napi::Env env, const std::string& message, bool range = false) {
  if (range) Napi::RangeError::New(env, message).ThrowAsJavaScriptException();
  else Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
  return env.Undefined();
}

// The Loaded behind a handle, or nullptr (with a TypeError) for anything else.
Loaded* Unwrap(napi_env env, napi_value handle) {
  bool tagged = false;
  void* data = nullptr;
  napi_valuetype type;
  if (napi_typeof(env, handle, &type) != napi_ok || type != napi_object ||
      napi_check_object_type_tag(env, handle, &kHandleTag, &tagged) != napi_ok || !tagged ||
      napi_unwrap(env, handle, &data) != napi_ok || data == nullptr) {
    Fail(Napi::Env(env), "expected a handle from loadImage");
    return nullptr;
  }
  return static_cast<Loaded*>(data);
}

Napi::Value LoadImage(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    return Fail(env, "loadImage expects a Uint8Array over the image");
  }
  auto view = info[0].As<Napi::Uint8Array>();
  // IsBoolean/As<Boolean> never run JS (ToBoolean may fail while the worker terminates).
  const bool copy = info.Length() > 1 && info[1].IsBoolean() && info[1].As<Napi::Boolean>().Value();
  std::unique_ptr<Loaded> loaded(new Loaded());
  const uint8_t* bytes = view.Data();
  const size_t length = view.ByteLength();
  napi_value copied = nullptr;
  if (copy) {
    void* mem = nullptr;
    const size_t pad = HugePad(length);
    if (napi_create_arraybuffer(env, length + pad, &mem, &copied) != napi_ok || (length > 0 && mem == nullptr) ||
        reinterpret_cast<uintptr_t>(mem) % 4 != 0) {
      return Fail(env, "loadImage: cannot allocate the private copy", true);
    }
    uint8_t* at = static_cast<uint8_t*>(mem);
    if (pad != 0) at = HugePages(at, length);
    if (length > 0) std::memcpy(at, bytes, length);
    if (pad != 0) Collapse(at, length);
    bytes = at;
    loaded->owns = true;
  }
  std::string error;
  if (!netpol::validate(bytes, length, &loaded->image, &error)) {
    return Fail(env, "netpol image rejected: " + error, true);
  }
  loaded->image.checked = !copy;
  loaded->data = bytes;
  loaded->length = length;
  napi_value handle;
  if (napi_create_object(env, &handle) != napi_ok || napi_type_tag_object(env, handle, &kHandleTag) != napi_ok) {
    return Fail(env, "loadImage: cannot create a handle");
  }
  if (!copy) {
    // A read-only, hidden property: the view lives exactly as long as the handle.
    napi_property_descriptor prop = {"image", nullptr, nullptr, nullptr, nullptr, view, napi_default, nullptr};
    if (napi_define_properties(env, handle, 1, &prop) != napi_ok) return Fail(env, "loadImage: cannot create a handle");
    loaded->view = Napi::Weak(view);
  }
  bool plain = true;  // an ArrayBuffer (already counted by V8), not a SharedArrayBuffer
  if (!copy && (napi_is_arraybuffer(env, view.ArrayBuffer(), &plain) != napi_ok)) plain = true;
  Loaded* raw = loaded.get();
  auto finalize = [](napi_env e, void* data, void*) {
    auto* l = static_cast<Loaded*>(data);
    Account(e, l, -l->external);
    delete l;
  };
  if (napi_wrap(env, handle, raw, finalize, nullptr, nullptr) != napi_ok) {
    return Fail(env, "loadImage: cannot create a handle");
  }
  loaded.release();  // the handle owns it now
  if (copy) {
    // The copy lives exactly as long as the handle (an ephemeron), and no JS can reach it.
    Copies* copies = env.GetInstanceData<Copies>();
    napi_value args[2] = {handle, copied};
    napi_value ignored;
    if (copies == nullptr || napi_call_function(env, copies->map.Value(), copies->set.Value(), 2, args, &ignored) != napi_ok) {
      raw->released = true;
      return Fail(env, "loadImage: cannot keep the private copy");
    }
    raw->copy = Napi::Weak(Napi::ArrayBuffer(env, copied));
  }
  // The tables validate() derived for a private copy live outside V8's heap too.
  const size_t derived = raw->image.tier_codes.size() + raw->image.tier_sets.size();
  Account(env, raw, (!copy && !plain ? static_cast<int64_t>(length) : 0) + static_cast<int64_t>(derived));
  return Napi::Value(env, handle);
}

// releaseImage(handle): frees a private copy now (not when the handle's finalizer runs,
// which waits for the event loop); the handle then refuses verdicts. Idempotent.
Napi::Value ReleaseImage(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Loaded* l = info.Length() < 1 ? nullptr : Unwrap(env, info[0]);
  if (l == nullptr) return env.Undefined();
  l->released = true;
  if (l->owns && !l->copy.IsEmpty()) {
    // Detaching drops the ArrayBuffer's bytes now; the WeakMap entry goes with the handle.
    Napi::ArrayBuffer copy = l->copy.Value();
    if (!copy.IsEmpty()) napi_detach_arraybuffer(env, copy);
    l->copy.Reset();
  }
  l->data = nullptr;
  l->length = 0;
  // The derived tables go too (the handle answers no more verdicts).
  const int64_t derived = static_cast<int64_t>(l->image.tier_codes.size() + l->image.tier_sets.size());
  std::vector<uint8_t>().swap(l->image.tier_codes);
  std::vector<uint8_t>().swap(l->image.tier_sets);
  Account(env, l, -derived);
  return env.Undefined();
}

// One napi_get_typedarray_info call per array: type, length and the data pointer (already
// at the view's offset). A call costs tens of nanoseconds, so the checks stay this lean.
template <typename T>
bool Array(napi_env env, napi_value v, napi_typedarray_type type, size_t need, T** data, const char* name) {
  napi_typedarray_type actual;
  size_t length = 0;
  void* ptr = nullptr;
  // napi_invalid_arg when v is not a typed array at all.
  if (napi_get_typedarray_info(env, v, &actual, &length, &ptr, nullptr, nullptr) != napi_ok || actual != type) {
    Fail(Napi::Env(env), std::string(name) + " has the wrong type");
    return false;
  }
  if (length < need || (length > 0 && ptr == nullptr)) {
    Fail(Napi::Env(env), std::string(name) + " is too short for the batch", true);
    return false;
  }
  *data = static_cast<T*>(ptr);
  return true;
}

// verdictBatch(handle, src, dst, protocol, port, out, count, family?, flags?, nameClass?)
Napi::Value VerdictBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 7 || !info[6].IsNumber()) {
    return Fail(env, "verdictBatch(handle, src, dst, protocol, port, out, count, family?, flags?, nameClass?)");
  }
  Loaded* l = Unwrap(env, info[0]);
  if (l == nullptr) return env.Undefined();
  if (l->released) return Fail(env, "the image was released (releaseImage)", true);
  // A referenced image buffer may have been detached (transferred) since it was loaded.
  if (!l->owns) {
    napi_typedarray_type type;
    size_t length = 0;
    void* image = nullptr;
    Napi::Uint8Array view = l->view.Value();
    if (view.IsEmpty() || napi_get_typedarray_info(env, view, &type, &length, &image, nullptr, nullptr) != napi_ok || length != l->length || image != l->data) {
      return Fail(env, "the image buffer was detached or moved since loadImage", true);
    }
  }
  double n = info[6].As<Napi::Number>().DoubleValue();
  if (!(n >= 0) || n > 4294967295.0 || n != static_cast<double>(static_cast<uint64_t>(n))) return Fail(env, "count must be a non-negative integer", true);
  const size_t count = static_cast<size_t>(n);
  const bool has_family = info.Length() > 7 && !info[7].IsUndefined() && !info[7].IsNull();
  const bool has_flags = info.Length() > 8 && !info[8].IsUndefined() && !info[8].IsNull();
  const bool has_names = info.Length() > 9 && !info[9].IsUndefined() && !info[9].IsNull();
  const size_t words = has_family ? 4 : 1;
  uint32_t *src, *dst;
  uint8_t *protocol, *family = nullptr, *flags = nullptr;
  uint16_t *port, *name_class = nullptr;
  uint8_t* out;
  if (!Array(env, info[1], napi_uint32_array, count * words, &src, "src") ||
      !Array(env, info[2], napi_uint32_array, count * words, &dst, "dst") ||
      !Array(env, info[3], napi_uint8_array, count, &protocol, "protocol") ||
      !Array(env, info[4], napi_uint16_array, count, &port, "port") ||
      !Array(env, info[5], napi_uint8_array, count, &out, "out") ||
      (has_family && !Array(env, info[7], napi_uint8_array, count, &family, "family")) ||
      (has_flags && !Array(env, info[8], napi_uint8_array, count, &flags, "flags")) ||
      (has_names && !Array(env, info[9], napi_uint16_array, count, &name_class, "nameClass"))) {
    return env.Undefined();
  }
  netpol::verdict_batch(l->image, src, dst, protocol, port, family, flags, name_class, out, count);
  return env.Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  Napi::Object map = env.Global().Get("WeakMap").As<Napi::Function>().New({});
  Napi::Function set = map.Get("set").As<Napi::Function>();
  env.SetInstanceData<Copies>(new Copies{Napi::Persistent(map), Napi::Persistent(set)});
  exports.Set("loadImage", Napi::Function::New(env, LoadImage));
  exports.Set("verdictBatch", Napi::Function::New(env, VerdictBatch));
  exports.Set("releaseImage", Napi::Function::New(env, ReleaseImage));
  exports.Set("version", Napi::String::New(env, "1"));
  return exports;
}

}  // namespace

NODE_API_MODULE(netpol_native, Init)
