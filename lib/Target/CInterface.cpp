//===- CInterface.cpp - the C ABI of compiled models -----------------------===//
//
// Part of qopt. Documented in docs/CABI.md.
//
//===----------------------------------------------------------------------===//
#include "qopt/Target/Emit.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

#include <cstdio>
#include <set>
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Program.h"

using namespace mlir;

std::string qopt::cTypeOf(int32_t dt) {
  switch (dt) {
  case 1: return "float";
  case 2: return "uint8_t";
  case 3: return "int8_t";
  case 4: return "uint16_t";
  case 5: return "int16_t";
  case 6: return "int32_t";
  case 7: return "int64_t";
  case 9: return "uint8_t"; /* bool: 0 or 1 */
  case 10: return "uint16_t"; /* float16 bits */
  case 11: return "double";
  case 12: return "uint32_t";
  case 13: return "uint64_t";
  case 16: return "uint16_t"; /* bfloat16 bits */
  default: return "uint8_t"; /* FP8/E8M0 codes; INT4/UINT4/FP4/INT2 packed as ONNX packs them */
  }
}

/// The ONNX data type of a builtin element type (for modules that were not
/// imported from ONNX); 0 when there is none.
static int32_t onnxDTypeOf(Type t) {
  if (t.isF32()) return 1;
  if (t.isF16()) return 10;
  if (t.isBF16()) return 16;
  if (t.isF64()) return 11;
  if (auto i = dyn_cast<IntegerType>(t)) {
    bool u = i.isUnsigned();
    switch (i.getWidth()) {
    case 1: return 9;
    case 8: return u ? 2 : 3;
    case 16: return u ? 4 : 5;
    case 32: return u ? 12 : 6;
    case 64: return u ? 13 : 7;
    default: return 0;
    }
  }
  return 0;
}

FailureOr<qopt::ModelInterface> qopt::getModelInterface(ModuleOp module, llvm::StringRef entry) {
  auto func = module.lookupSymbol<func::FuncOp>(entry);
  if (!func)
    return module.emitError() << "no entry function '" << entry << "'";
  ModelInterface iface;
  iface.entry = entry.str();
  auto describe = [](Type t, DictionaryAttr attrs, size_t i, bool input) -> TensorDesc {
    TensorDesc d;
    auto tt = dyn_cast<RankedTensorType>(t);
    if (!tt || !tt.hasStaticShape()) {
      d.onnxDType = 0;
      return d;
    }
    d.shape.assign(tt.getShape().begin(), tt.getShape().end());
    if (auto logical = attrs ? attrs.getAs<DenseI64ArrayAttr>("onnx.shape") : nullptr)
      d.shape.assign(logical.asArrayRef().begin(), logical.asArrayRef().end());
    auto name = attrs ? attrs.getAs<StringAttr>("onnx.name") : nullptr;
    d.name = name ? name.str() : (input ? "input_" : "output_") + std::to_string(i);
    auto dt = attrs ? attrs.getAs<IntegerAttr>("onnx.dtype") : nullptr;
    d.onnxDType = dt ? int32_t(dt.getInt()) : onnxDTypeOf(tt.getElementType());
    return d;
  };
  for (size_t i = 0; i < func.getNumArguments(); ++i)
    iface.inputs.push_back(describe(func.getArgumentTypes()[i], func.getArgAttrDict(i), i, true));
  for (size_t i = 0; i < func.getNumResults(); ++i)
    iface.outputs.push_back(describe(func.getResultTypes()[i], func.getResultAttrDict(i), i, false));
  for (auto [i, t] : llvm::enumerate(func.getFunctionType().getInputs()))
    if (iface.inputs[i].onnxDType == 0)
      return func.emitError() << "entry argument #" << i << " has type " << t
                              << ", which the C interface cannot pass (static tensors of "
                                 "f32/f16/bf16/f64/i1/i8/i16/i32/i64 only)";
  for (auto [i, t] : llvm::enumerate(func.getFunctionType().getResults()))
    if (iface.outputs[i].onnxDType == 0)
      return func.emitError() << "entry result #" << i << " has type " << t
                              << ", which the C interface cannot pass (static tensors of "
                                 "f32/f16/bf16/f64/i1/i8/i16/i32/i64 only)";
  return iface;
}

static std::string cIdentifier(llvm::StringRef name) {
  static const char *keywords[] = {
      "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
      "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
      "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch",
      "typedef", "union", "unsigned", "void", "volatile", "while", "bool", "true", "false"};
  std::string s;
  for (char c : name)
    s += (llvm::isAlnum(c) || c == '_') ? c : '_';
  if (s.empty() || llvm::isDigit(s[0]) || llvm::is_contained(keywords, s) ||
      llvm::StringRef(s).starts_with("qopt_") || s == "qopt")
    s = "t_" + s;
  return s;
}

/// An ONNX name inside a C string literal.
static std::string cEscape(llvm::StringRef name) {
  std::string s;
  for (unsigned char c : name) {
    if (c == '"' || c == '\\')
      s += '\\', s += char(c);
    else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      snprintf(buf, sizeof(buf), "\\%03o", unsigned(c));
      s += buf;
    } else {
      s += char(c);
    }
  }
  return s;
}

/// An ONNX name inside a C comment: no "*/", no newlines.
static std::string cComment(llvm::StringRef name) {
  std::string s;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c == '\n' || c == '\r')
      c = ' ';
    s += c;
    if (c == '*' && i + 1 < name.size() && name[i + 1] == '/')
      s += ' ';
  }
  return s;
}

/// Parameter names: C identifiers, unique across inputs and outputs.
static std::vector<std::string> parameterNames(const qopt::ModelInterface &iface) {
  std::vector<std::string> names;
  std::set<std::string> used;
  auto add = [&](const std::string &raw) {
    std::string base = cIdentifier(raw), name = base;
    for (int k = 1; !used.insert(name).second; ++k)
      name = base + "_" + std::to_string(k);
    names.push_back(name);
  };
  for (const auto &in : iface.inputs)
    add(in.name);
  for (const auto &out : iface.outputs)
    add(out.name);
  return names;
}

static std::string shapeText(const std::vector<int64_t> &shape) {
  return "[" + llvm::join(llvm::map_range(shape, [](int64_t d) { return std::to_string(d); }), ", ") + "]";
}

static std::string paramList(const qopt::ModelInterface &iface) {
  std::vector<std::string> params, names = parameterNames(iface);
  size_t k = 0;
  for (const auto &in : iface.inputs)
    params.push_back("const " + qopt::cTypeOf(in.onnxDType) + " *" + names[k++]);
  for (const auto &out : iface.outputs)
    params.push_back(qopt::cTypeOf(out.onnxDType) + " *" + names[k++]);
  return llvm::join(params, ", ");
}

std::string qopt::generateHeader(const ModelInterface &iface, llvm::StringRef prefix,
                                 llvm::StringRef source) {
  std::string guard = llvm::StringRef(cIdentifier(prefix)).upper() + "_QOPT_H";
  std::string h;
  llvm::raw_string_ostream os(h);
  os << "/* " << cComment(prefix) << ".h: generated by qopt-compile from " << cComment(source)
     << ". C ABI: docs/CABI.md. */\n"
     << "#ifndef " << guard << "\n#define " << guard << "\n\n#include <stdint.h>\n\n"
     << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
  os << "/* Inputs (row-major, densely packed):\n";
  for (const auto &in : iface.inputs)
    os << " *   " << cComment(in.name) << ": " << cTypeOf(in.onnxDType) << " " << shapeText(in.shape)
       << " (ONNX type " << in.onnxDType << ")\n";
  os << " * Outputs (caller-allocated):\n";
  for (const auto &out : iface.outputs)
    os << " *   " << cComment(out.name) << ": " << cTypeOf(out.onnxDType) << " " << shapeText(out.shape)
       << " (ONNX type " << out.onnxDType << ")\n";
  os << " */\n\n";
  os << "/* Runs the model; returns 0. Thread-safe; buffers must not overlap. */\n";
  os << "int " << cIdentifier(prefix) << "_run(" << paramList(iface) << ");\n\n";
  os << "/* Generic entry and introspection (what qopt-run uses). */\n"
     << "int qopt_run(const void *const *inputs, void *const *outputs);\n"
     << "int qopt_abi_version(void);\n"
     << "int qopt_num_inputs(void);\nint qopt_num_outputs(void);\n"
     << "const char *qopt_input_name(int i);\nconst char *qopt_output_name(int i);\n"
     << "int qopt_input_dtype(int i);\nint qopt_output_dtype(int i);\n"
     << "int qopt_input_rank(int i);\nint qopt_output_rank(int i);\n"
     << "const int64_t *qopt_input_shape(int i);\nconst int64_t *qopt_output_shape(int i);\n\n"
     << "#ifdef __cplusplus\n}\n#endif\n\n#endif\n";
  return h;
}

std::string qopt::generateWrapper(const ModelInterface &iface, llvm::StringRef prefix) {
  std::string c;
  llvm::raw_string_ostream os(c);
  os << "/* ABI wrapper generated by qopt-compile. */\n#include <stddef.h>\n#include <stdint.h>\n"
        "#include <string.h>\n\n";
  // memref.copy between strided views lowers to a call of `memrefCopy`
  // (MLIR's runner-utils ABI); the library carries its own, hidden copy.
  os << R"c(typedef struct { int64_t rank; void *descriptor; } qopt_unranked_memref;
__attribute__((visibility("hidden"))) void memrefCopy(int64_t elemSize,
    qopt_unranked_memref *src, qopt_unranked_memref *dst) {
  int64_t rank = src->rank;
  char **sd = (char **)src->descriptor, **dd = (char **)dst->descriptor;
  char *sp = sd[1], *dp = dd[1];
  int64_t *sm = (int64_t *)(sd + 2), *dm = (int64_t *)(dd + 2);
  int64_t soff = sm[0], doff = dm[0];
  int64_t *sizes = sm + 1, *sstr = sm + 1 + rank, *dstr = dm + 1 + rank;
  int64_t n = 1, i, d;
  int64_t idx[rank > 0 ? rank : 1];
  for (d = 0; d < rank; ++d) { n *= sizes[d]; idx[d] = 0; }
  if (rank == 0) { memcpy(dp + doff * elemSize, sp + soff * elemSize, elemSize); return; }
  for (i = 0; i < n; ++i) {
    int64_t so = soff, dof = doff;
    for (d = 0; d < rank; ++d) { so += idx[d] * sstr[d]; dof += idx[d] * dstr[d]; }
    memcpy(dp + dof * elemSize, sp + so * elemSize, elemSize);
    for (d = rank - 1; d >= 0; --d) { if (++idx[d] < sizes[d]) break; idx[d] = 0; }
  }
}

)c";
  // Thread count of every parallel region (Pipelines.cpp, OmpRegionsPass): QOPT_NUM_THREADS
  // if set to a positive number, else OpenMP's default (OMP_NUM_THREADS or
  // the number of cores). Read once per process.
  os << R"c(#include <stdlib.h>
extern int omp_get_max_threads(void);
__attribute__((visibility("hidden"))) int qopt_num_threads(void) {
  static int n = 0;
  if (n == 0) {
    const char *s = getenv("QOPT_NUM_THREADS");
    int v = s ? atoi(s) : 0;
    n = v > 0 ? v : omp_get_max_threads();
  }
  return n;
}

)c";
  // Buffers of the generated code (memref.alloc, lowered with
  // use-generic-functions: Pipelines.cpp). glibc maps blocks of >= 128 KiB
  // fresh and unmaps them on free, so every call of a model used to fault in
  // and zero its large intermediates again (12% of a 128-token block's time in
  // the kernel). Blocks of >= 256 KiB are kept on free, up to 64 of them, and
  // reused by a later request they fit (at most twice its size): the second
  // call of a model allocates nothing new. The cache is freed at unload;
  // QOPT_BUFFER_CACHE=0 turns it off (memory checkers see every free).
  os << R"c(#include <pthread.h>
#define QOPT_HDR 64
#define QOPT_CACHED (256u << 10)
#define QOPT_SLOTS 64
static pthread_mutex_t qopt_buf_lock = PTHREAD_MUTEX_INITIALIZER;
static struct { char *base; size_t size; } qopt_bufs[QOPT_SLOTS];
static int qopt_nbufs;

static int qopt_buf_cache; /* set once at load, before any call */
__attribute__((constructor)) static void qopt_buf_init(void) {
  const char *s = getenv("QOPT_BUFFER_CACHE");
  qopt_buf_cache = !(s && s[0] == '0' && s[1] == 0);
}

/* Every block has a 64-byte header before the pointer returned; its last 16
   bytes hold the malloc'd base and the block's total size. */
static void *qopt_buf_get(size_t align, size_t n) {
  size_t hdr = align > QOPT_HDR ? align : QOPT_HDR, total = n + hdr;
  char *base = NULL;
  if (hdr == QOPT_HDR && total >= QOPT_CACHED && qopt_buf_cache) {
    int best = -1, i;
    pthread_mutex_lock(&qopt_buf_lock);
    for (i = 0; i < qopt_nbufs; ++i)
      if (qopt_bufs[i].size >= total && qopt_bufs[i].size / 2 <= total &&
          (best < 0 || qopt_bufs[i].size < qopt_bufs[best].size))
        best = i;
    if (best >= 0) {
      base = qopt_bufs[best].base;
      total = qopt_bufs[best].size;
      qopt_bufs[best] = qopt_bufs[--qopt_nbufs];
    }
    pthread_mutex_unlock(&qopt_buf_lock);
  }
  if (!base && posix_memalign((void **)&base, hdr, total))
    return NULL;
  ((char **)(base + hdr))[-2] = base;
  ((size_t *)(base + hdr))[-1] = total;
  return base + hdr;
}

__attribute__((visibility("hidden"))) void *_mlir_memref_to_llvm_alloc(size_t n) {
  return qopt_buf_get(QOPT_HDR, n);
}
__attribute__((visibility("hidden"))) void *_mlir_memref_to_llvm_aligned_alloc(size_t align,
                                                                               size_t n) {
  return qopt_buf_get(align, n);
}
__attribute__((visibility("hidden"))) void _mlir_memref_to_llvm_free(void *p) {
  char *base;
  size_t total;
  if (!p)
    return;
  base = ((char **)p)[-2];
  total = ((size_t *)p)[-1];
  if ((char *)p - base == QOPT_HDR && total >= QOPT_CACHED && qopt_buf_cache) {
    pthread_mutex_lock(&qopt_buf_lock);
    if (qopt_nbufs < QOPT_SLOTS) {
      qopt_bufs[qopt_nbufs].base = base;
      qopt_bufs[qopt_nbufs++].size = total;
      base = NULL;
    }
    pthread_mutex_unlock(&qopt_buf_lock);
  }
  free(base);
}
__attribute__((destructor)) static void qopt_buf_release(void) {
  pthread_mutex_lock(&qopt_buf_lock);
  while (qopt_nbufs > 0)
    free(qopt_bufs[--qopt_nbufs].base);
  pthread_mutex_unlock(&qopt_buf_lock);
}

)c";
  // The lowered entry: void entry(T *in..., T *out...) (bare pointers).
  std::vector<std::string> decl;
  for (const auto &in : iface.inputs)
    decl.push_back(cTypeOf(in.onnxDType) + " *");
  for (const auto &out : iface.outputs)
    decl.push_back(cTypeOf(out.onnxDType) + " *");
  os << "extern void " << iface.entry << "(" << (decl.empty() ? "void" : llvm::join(decl, ", "))
     << ");\n\n";
  auto table = [&](const std::vector<TensorDesc> &ts, llvm::StringRef kind) {
    for (size_t i = 0; i < ts.size(); ++i) {
      os << "static const int64_t " << kind << "_shape_" << i << "[] = {";
      for (int64_t d : ts[i].shape)
        os << d << ", ";
      os << "0};\n";
    }
    os << "static const char *const " << kind << "_names[] = {";
    for (const auto &t : ts)
      os << "\"" << cEscape(t.name) << "\", ";
    os << "NULL};\nstatic const int " << kind << "_dtypes[] = {";
    for (const auto &t : ts)
      os << t.onnxDType << ", ";
    os << "0};\nstatic const int " << kind << "_ranks[] = {";
    for (const auto &t : ts)
      os << t.shape.size() << ", ";
    os << "0};\nstatic const int64_t *const " << kind << "_shapes[] = {";
    for (size_t i = 0; i < ts.size(); ++i)
      os << kind << "_shape_" << i << ", ";
    os << "NULL};\n";
    os << "const char *qopt_" << kind << "_name(int i) { return i >= 0 && i < " << ts.size()
       << " ? " << kind << "_names[i] : NULL; }\n";
    os << "int qopt_" << kind << "_dtype(int i) { return i >= 0 && i < " << ts.size() << " ? "
       << kind << "_dtypes[i] : -1; }\n";
    os << "int qopt_" << kind << "_rank(int i) { return i >= 0 && i < " << ts.size() << " ? "
       << kind << "_ranks[i] : -1; }\n";
    os << "const int64_t *qopt_" << kind << "_shape(int i) { return i >= 0 && i < " << ts.size()
       << " ? " << kind << "_shapes[i] : NULL; }\n\n";
  };
  table(iface.inputs, "input");
  table(iface.outputs, "output");
  os << "int qopt_abi_version(void) { return 1; }\n";
  os << "int qopt_num_inputs(void) { return " << iface.inputs.size() << "; }\n";
  os << "int qopt_num_outputs(void) { return " << iface.outputs.size() << "; }\n\n";
  std::vector<std::string> args;
  size_t k = 0;
  for (const auto &in : iface.inputs)
    args.push_back("(" + cTypeOf(in.onnxDType) + " *)inputs[" + std::to_string(k++) + "]");
  k = 0;
  for (const auto &out : iface.outputs)
    args.push_back("(" + cTypeOf(out.onnxDType) + " *)outputs[" + std::to_string(k++) + "]");
  os << "int qopt_run(const void *const *inputs, void *const *outputs) {\n  (void)inputs;\n  (void)outputs;\n  "
     << iface.entry << "(" << llvm::join(args, ", ") << ");\n  return 0;\n}\n\n";
  std::vector<std::string> names, params = parameterNames(iface);
  size_t p = 0;
  for (const auto &in : iface.inputs)
    names.push_back("(" + cTypeOf(in.onnxDType) + " *)" + params[p++]);
  for (size_t i = 0; i < iface.outputs.size(); ++i)
    names.push_back(params[p++]);
  os << "int " << cIdentifier(prefix) << "_run(" << (paramList(iface).empty() ? "void" : paramList(iface))
     << ") {\n  " << iface.entry << "(" << llvm::join(names, ", ") << ");\n  return 0;\n}\n";
  return c;
}

LogicalResult qopt::linkSharedLibrary(llvm::StringRef cc, llvm::StringRef objectPath,
                                      llvm::StringRef wrapperSource, llvm::StringRef headerPath,
                                      llvm::StringRef outPath, std::string &error) {
  auto ccPath = llvm::sys::findProgramByName(cc);
  if (!ccPath) {
    error = "C compiler '" + cc.str() + "' not found (set --cc or QOPT_CC)";
    return failure();
  }
  llvm::SmallVector<llvm::StringRef> args = {*ccPath, "-shared", "-fPIC", "-O2", "-w",
                                             "-x", "c", wrapperSource, "-x", "none",
                                             objectPath, "-o", outPath, "-lm"};
  // OpenMP runtime (threads of the parallel column tiles): LLVM 22's libomp,
  // found at run time through the rpath.
  std::string ompDir = QOPT_OPENMP_LIBDIR;
  std::string rpath = "-Wl,-rpath," + ompDir, libdir = "-L" + ompDir;
  args.append({libdir, rpath, "-lomp"});
  std::string msg;
  int rc = llvm::sys::ExecuteAndWait(*ccPath, args, std::nullopt, {}, 0, 0, &msg);
  if (rc != 0) {
    error = "linking the shared library failed (" + cc.str() + " exit " + std::to_string(rc) +
            (msg.empty() ? "" : ": " + msg) + ")";
    return failure();
  }
  return success();
}
