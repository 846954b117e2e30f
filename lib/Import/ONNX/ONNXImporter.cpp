//===- ONNXImporter.cpp - ONNX ModelProto -> MLIR --------------------------===//
//
// Part of qopt. Loads and validates the model, orders the graph, builds the
// entry function and dispatches every node to its op handler (ops/*.cpp).
//
//===----------------------------------------------------------------------===//
#include "qopt/Import/ONNX/ONNXImporter.h"

#include "ImporterImpl.h"
#include "Tensors.h"

#include "qopt/Dialect/QOpt/IR/QOptDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <google/protobuf/io/coded_stream.h>

#include <algorithm>
#include <deque>
#include <map>
#include <set>

using namespace mlir;
using namespace mlir::qopt;
using namespace mlir::qopt::onnx_import;

void mlir::qopt::registerONNXImportDialects(DialectRegistry &registry) {
  registry.insert<arith::ArithDialect, func::FuncDialect, linalg::LinalgDialect,
                  math::MathDialect, tensor::TensorDialect, QOptDialect>();
}

std::string mlir::qopt::parseInputShapeFlag(llvm::StringRef flag, ONNXImportOptions &options) {
  auto [name, dims] = flag.rsplit(':');
  if (name.empty() || dims.empty() || !flag.contains(':'))
    return "--input-shape expects NAME:D0xD1x..., got '" + flag.str() + "'";
  std::vector<int64_t> shape;
  if (dims != "scalar") {
    llvm::SmallVector<llvm::StringRef> parts;
    dims.split(parts, 'x');
    for (llvm::StringRef p : parts) {
      int64_t d;
      if (p.getAsInteger(10, d) || d < 0)
        return "--input-shape '" + flag.str() + "': '" + p.str() +
               "' is not a non-negative dimension";
      shape.push_back(d);
    }
  }
  if (options.inputShapes.count(name.str()))
    return "--input-shape given twice for '" + name.str() + "'";
  options.inputShapes[name.str()] = shape;
  return "";
}

//===----------------------------------------------------------------------===//
// GraphImporter
//===----------------------------------------------------------------------===//

namespace mlir::qopt::onnx_import {

class GraphImporter {
public:
  GraphImporter(MLIRContext &ctx, llvm::StringRef path, const ONNXImportOptions &options)
      : ctx(ctx), path(path.str()), options(options), builder(&ctx) {}

  OwningOpRef<ModuleOp> run();

  OpBuilder &getBuilder() { return builder; }
  MLIRContext &getContext() { return ctx; }
  ValueInfo &lookup(const std::string &name) { return values[name]; }
  bool has(const std::string &name) const { return values.count(name) != 0; }
  Value materialize(ValueInfo &info, Location loc);
  void define(const std::string &name, ValueInfo info) { values[name] = std::move(info); }
  FailureOr<ValueInfo> importTensorProto(const onnx::TensorProto &t, Location loc) {
    return importTensor(ctx, t, path, external, [loc] { return emitError(loc); });
  }

private:
  LogicalResult loadModel();
  LogicalResult checkSupported();
  LogicalResult orderNodes(std::vector<const onnx::NodeProto *> &order);
  LogicalResult importInputs(func::FuncOp &func);
  LogicalResult importNodes(llvm::ArrayRef<const onnx::NodeProto *> order);
  Location nodeLoc(const onnx::NodeProto &node, size_t index);
  InFlightDiagnostic fileError() { return emitError(FileLineColLoc::get(&ctx, path, 0, 0)); }

  MLIRContext &ctx;
  std::string path;
  const ONNXImportOptions &options;
  OpBuilder builder;
  onnx::ModelProto model;
  /// A tensor's type at the model boundary: low-precision types are bytes.
  RankedTensorType boundaryType(int32_t dt, const std::vector<int64_t> &shape) {
    unsigned bits = lowPrecisionBits(dt);
    if (!bits)
      return RankedTensorType::get(shape, elementTypeOf(&ctx, dt));
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    if (bits == 8)
      return RankedTensorType::get(shape, builder.getI8Type());
    return RankedTensorType::get({(n * bits + 7) / 8}, builder.getI8Type());
  }
  std::map<std::string, int64_t> opsets;
  std::map<std::string, ValueInfo> values;
  std::vector<std::unique_ptr<ExternalData>> external;
};

} // namespace mlir::qopt::onnx_import

static std::string normalizeDomain(const std::string &d) {
  return d == "ai.onnx" ? "" : d;
}

LogicalResult GraphImporter::loadModel() {
  if (!llvm::sys::fs::exists(path))
    return fileError() << "cannot open ONNX model '" << path << "': no such file";
  if (llvm::sys::fs::is_directory(path))
    return fileError() << "'" << path << "' is a directory, not an ONNX model";
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return fileError() << "cannot read ONNX model '" << path
                       << "': " << buffer.getError().message();
  llvm::StringRef bytes = (*buffer)->getBuffer();
  if (bytes.empty())
    return fileError() << "ONNX model '" << path << "' is empty";
  google::protobuf::io::CodedInputStream stream(
      reinterpret_cast<const uint8_t *>(bytes.data()), int(bytes.size()));
  stream.SetTotalBytesLimit(INT_MAX);
  if (!model.ParseFromCodedStream(&stream) || !stream.ConsumedEntireMessage())
    return fileError() << "'" << path
                       << "' is not a valid ONNX model (protobuf parse failed: truncated or "
                          "not a ModelProto)";
  if (!model.has_graph() || model.ir_version() <= 0)
    return fileError() << "'" << path << "' is not a valid ONNX model (no graph or ir_version)";
  for (const auto &o : model.opset_import())
    opsets[normalizeDomain(o.domain())] = o.version();
  if (!opsets.count(""))
    opsets[""] = 1;
  return success();
}

Location GraphImporter::nodeLoc(const onnx::NodeProto &node, size_t index) {
  std::string name = node.name().empty() ? node.op_type() + "_" + std::to_string(index)
                                         : node.name();
  return NameLoc::get(StringAttr::get(&ctx, name));
}

LogicalResult GraphImporter::checkSupported() {
  const OpTable &table = getOpTable();
  struct Seen {
    int count = 0;
    std::string first;
  };
  std::map<std::string, Seen> unsupported;
  const auto &nodes = model.graph().node();
  for (int i = 0; i < nodes.size(); ++i) {
    const onnx::NodeProto &n = nodes[i];
    std::string domain = normalizeDomain(n.domain());
    if (table.lookup(domain, n.op_type()))
      continue;
    std::string key = domain.empty() ? n.op_type() : domain + "." + n.op_type();
    Seen &s = unsupported[key];
    if (s.count++ == 0)
      s.first = n.name().empty() ? n.op_type() + "_" + std::to_string(i) : n.name();
  }
  if (unsupported.empty())
    return success();
  auto diag = fileError() << "unsupported ONNX ops in '" << path << "': ";
  bool firstEntry = true;
  for (auto &[op, s] : unsupported) {
    diag << (firstEntry ? "" : ", ") << op << " (" << s.count << (s.count == 1 ? " node" : " nodes")
         << ", first '" << s.first << "')";
    firstEntry = false;
  }
  return failure();
}

LogicalResult GraphImporter::orderNodes(std::vector<const onnx::NodeProto *> &order) {
  const onnx::GraphProto &g = model.graph();
  std::set<std::string> available;
  for (const auto &init : g.initializer())
    available.insert(init.name());
  for (const auto &in : g.input())
    available.insert(in.name());
  std::map<std::string, int> producer;
  for (int i = 0; i < g.node_size(); ++i)
    for (const std::string &o : g.node(i).output())
      if (!o.empty()) {
        if (producer.count(o) || available.count(o))
          return emitError(nodeLoc(g.node(i), i))
                 << "node '" << g.node(i).name() << "' (" << g.node(i).op_type()
                 << "): output '" << o << "' is defined twice";
        producer[o] = i;
      }
  // Missing inputs.
  for (int i = 0; i < g.node_size(); ++i)
    for (const std::string &in : g.node(i).input())
      if (!in.empty() && !available.count(in) && !producer.count(in))
        return emitError(nodeLoc(g.node(i), i))
               << "node '" << g.node(i).name() << "' (" << g.node(i).op_type() << "): input '"
               << in << "' is not produced by any node, graph input or initializer";
  // Kahn's algorithm, stable in file order.
  std::vector<int> pending(g.node_size(), 0);
  std::map<std::string, std::vector<int>> consumers;
  for (int i = 0; i < g.node_size(); ++i) {
    std::set<std::string> deps;
    for (const std::string &in : g.node(i).input())
      if (!in.empty() && producer.count(in))
        deps.insert(in);
    pending[i] = int(deps.size());
    for (const std::string &d : deps)
      consumers[d].push_back(i);
  }
  std::set<int> ready;
  for (int i = 0; i < g.node_size(); ++i)
    if (pending[i] == 0)
      ready.insert(i);
  while (!ready.empty()) {
    int i = *ready.begin();
    ready.erase(ready.begin());
    order.push_back(&g.node(i));
    for (const std::string &o : g.node(i).output())
      for (int c : consumers[o])
        if (--pending[c] == 0)
          ready.insert(c);
  }
  if (int(order.size()) != g.node_size()) {
    for (int i = 0; i < g.node_size(); ++i)
      if (pending[i] > 0)
        return emitError(nodeLoc(g.node(i), i))
               << "node '" << g.node(i).name() << "' (" << g.node(i).op_type()
               << ") is on a cycle: the graph is not a DAG";
  }
  for (const auto &out : g.output())
    if (!available.count(out.name()) && !producer.count(out.name()))
      return fileError() << "graph output '" << out.name() << "' is never produced";
  return success();
}

LogicalResult GraphImporter::importInputs(func::FuncOp &func) {
  const onnx::GraphProto &g = model.graph();
  std::set<std::string> initNames;
  for (const auto &init : g.initializer())
    initNames.insert(init.name());
  // Initializers: constants (mapped, never copied through text).
  for (const auto &init : g.initializer()) {
    FailureOr<ValueInfo> info = importTensor(ctx, init, path, external, [this] { return fileError(); });
    if (failed(info))
      return failure();
    values[init.name()] = std::move(*info);
  }
  std::set<std::string> graphInputs;
  for (const auto &in : g.input())
    if (!initNames.count(in.name()))
      graphInputs.insert(in.name());
  for (const auto &[name, shape] : options.inputShapes)
    if (!graphInputs.count(name))
      return fileError() << "--input-shape names '" << name << "', which is not a graph input";
  SmallVector<Type> argTypes;
  std::vector<std::string> argNames;
  for (const auto &in : g.input()) {
    if (initNames.count(in.name()))
      continue; // an initializer that is also listed as input: a constant
    if (!in.type().has_tensor_type())
      return fileError() << "graph input '" << in.name() << "' is not a tensor";
    const auto &tt = in.type().tensor_type();
    int32_t dt = tt.elem_type();
    Type elem = elementTypeOf(&ctx, dt);
    if (!elem)
      return fileError() << "graph input '" << in.name() << "' has unsupported element type "
                         << dtypeName(dt);
    if (!tt.has_shape())
      return fileError() << "graph input '" << in.name()
                         << "' has no shape; give it with --input-shape=" << in.name() << ":...";
    std::vector<int64_t> shape;
    auto pinned = options.inputShapes.find(in.name());
    const auto &dims = tt.shape().dim();
    if (pinned != options.inputShapes.end() && pinned->second.size() != size_t(dims.size()))
      return fileError() << "--input-shape for '" << in.name() << "' has rank "
                         << pinned->second.size() << " but the input has rank " << dims.size();
    for (int d = 0; d < dims.size(); ++d) {
      bool known = dims[d].has_dim_value() && dims[d].dim_value() >= 0;
      if (pinned != options.inputShapes.end()) {
        int64_t p = pinned->second[d];
        if (known && dims[d].dim_value() != p)
          return fileError() << "--input-shape for '" << in.name() << "' sets dim " << d
                             << " to " << p << " but the model fixes it to "
                             << dims[d].dim_value();
        shape.push_back(p);
      } else if (known) {
        shape.push_back(dims[d].dim_value());
      } else {
        std::string sym = dims[d].has_dim_param() ? " ('" + dims[d].dim_param() + "')" : "";
        return fileError() << "graph input '" << in.name() << "' has dynamic dimension " << d
                           << sym << "; pin it with --input-shape=" << in.name() << ":"
                           << "<d0>x<d1>x...";
      }
    }
    ValueInfo info;
    info.dtype = dt;
    info.shape = shape;
    values[in.name()] = info;
    argTypes.push_back(boundaryType(dt, shape));
    argNames.push_back(in.name());
  }
  // The result types are known only after the body; create with inputs now.
  func = func::FuncOp::create(FileLineColLoc::get(&ctx, path, 0, 0), options.entryName,
                              FunctionType::get(&ctx, argTypes, {}));
  Block *entry = func.addEntryBlock();
  builder.setInsertionPointToStart(entry);
  for (size_t i = 0; i < argNames.size(); ++i) {
    ValueInfo &vi = values[argNames[i]];
    unsigned bits = lowPrecisionBits(vi.dtype);
    vi.value = bits && bits < 8 ? buildUnpackCodes(builder, func.getLoc(), entry->getArgument(i),
                                                   vi.shape, bits)
                                : Value(entry->getArgument(i));
    func.setArgAttr(i, "onnx.shape", DenseI64ArrayAttr::get(&ctx, vi.shape));
    func.setArgAttr(i, "onnx.name", StringAttr::get(&ctx, argNames[i]));
    func.setArgAttr(i, "onnx.dtype",
                    IntegerAttr::get(IntegerType::get(&ctx, 32), values[argNames[i]].dtype));
  }
  builder.setInsertionPointToEnd(entry);
  return success();
}

Value GraphImporter::materialize(ValueInfo &info, Location loc) {
  if (info.value)
    return info.value;
  if (info.attr) {
    info.value = arith::ConstantOp::create(builder, loc, cast<TypedAttr>(info.attr));
    return info.value;
  }
  if (info.konst) {
    info.value = materializeConst(builder, loc, *info.konst);
    return info.value;
  }
  return nullptr;
}

LogicalResult GraphImporter::importNodes(llvm::ArrayRef<const onnx::NodeProto *> order) {
  const OpTable &table = getOpTable();
  std::map<const onnx::NodeProto *, size_t> fileIndex;
  for (int i = 0; i < model.graph().node_size(); ++i)
    fileIndex[&model.graph().node(i)] = size_t(i);
  for (const onnx::NodeProto *node : order) {
    std::string domain = normalizeDomain(node->domain());
    const OpHandler *handler = table.lookup(domain, node->op_type());
    Location loc = nodeLoc(*node, fileIndex[node]); // the file index names unnamed nodes
    int64_t opset = opsets.count(domain) ? opsets[domain] : 1;
    NodeContext nc(*this, *node, loc, opset);
    // Low-precision values are codes: only ops that know that may take them.
    static const std::set<std::string> codeAware = {
        "Cast", "CastLike", "QuantizeLinear", "DequantizeLinear", "Identity", "Reshape",
        "Transpose", "Squeeze", "Unsqueeze", "Flatten", "Concat", "Split", "Slice", "Gather",
        "Expand", "Shape", "Size", "Constant", "Tile", "GatherElements"};
    if (!codeAware.count(node->op_type()))
      for (size_t i = 0; i < nc.numInputs(); ++i)
        if (nc.hasInput(i) && lowPrecisionBits(nc.dtypeOf(i)))
          return nc.emitError() << "input " << i << " is " << dtypeName(nc.dtypeOf(i))
                                << ", which this op does not take (cast or dequantize it first)";
    if (failed((*handler)(nc)))
      return failure();
    for (size_t i = 0; i < nc.numOutputs(); ++i)
      if (nc.hasOutput(i) && !has(node->output(int(i))))
        return nc.emitError() << "the importer produced no value for output " << i << " ('"
                              << node->output(int(i)) << "')";
  }
  return success();
}

OwningOpRef<ModuleOp> GraphImporter::run() {
  if (failed(loadModel()) || failed(checkSupported()))
    return nullptr;
  std::vector<const onnx::NodeProto *> order;
  if (failed(orderNodes(order)))
    return nullptr;
  OwningOpRef<ModuleOp> module = ModuleOp::create(FileLineColLoc::get(&ctx, path, 0, 0));
  func::FuncOp func;
  if (failed(importInputs(func)))
    return nullptr;
  module->push_back(func);
  if (failed(importNodes(order)))
    return nullptr;
  // Outputs.
  SmallVector<Value> results;
  SmallVector<Type> resultTypes;
  const onnx::GraphProto &g = model.graph();
  for (const auto &out : g.output()) {
    ValueInfo &info = values[out.name()];
    Value v = materialize(info, func.getLoc());
    if (!v)
      return (fileError() << "graph output '" << out.name() << "' has no value", nullptr);
    if (out.type().has_tensor_type()) {
      const auto &tt = out.type().tensor_type();
      if (tt.elem_type() != dtype::Undefined && tt.elem_type() != info.dtype)
        return (fileError() << "graph output '" << out.name() << "' is declared "
                            << dtypeName(tt.elem_type()) << " but computes "
                            << dtypeName(info.dtype),
                nullptr);
      if (tt.has_shape()) {
        const auto &dims = tt.shape().dim();
        if (size_t(dims.size()) != info.shape.size())
          return (fileError() << "graph output '" << out.name() << "' is declared with rank "
                              << dims.size() << " but computes rank " << info.shape.size(),
                  nullptr);
        for (int d = 0; d < dims.size(); ++d)
          if (dims[d].has_dim_value() && dims[d].dim_value() != info.shape[d])
            return (fileError() << "graph output '" << out.name() << "' dim " << d
                                << " is declared " << dims[d].dim_value() << " but computes "
                                << info.shape[d],
                    nullptr);
      }
    }
    if (llvm::is_contained(info.shape, 0))
      return (fileError() << "graph output '" << out.name()
                          << "' has no elements (shape with a 0 dim); zero-size tensors at the "
                             "model boundary are not supported",
              nullptr);
    if (unsigned bits = lowPrecisionBits(info.dtype); bits && bits < 8)
      v = buildPackCodes(builder, func.getLoc(), v, bits);
    results.push_back(v);
    resultTypes.push_back(v.getType());
  }
  func::ReturnOp::create(builder, func.getLoc(), results);
  func.setType(FunctionType::get(&ctx, func.getArgumentTypes(), resultTypes));
  for (int i = 0; i < g.output_size(); ++i) {
    func.setResultAttr(i, "onnx.name", StringAttr::get(&ctx, g.output(i).name()));
    func.setResultAttr(i, "onnx.dtype", IntegerAttr::get(IntegerType::get(&ctx, 32),
                                                         values[g.output(i).name()].dtype));
    func.setResultAttr(i, "onnx.shape",
                       DenseI64ArrayAttr::get(&ctx, values[g.output(i).name()].shape));
  }
  (*module)->setAttr("qopt.source", StringAttr::get(&ctx, llvm::sys::path::filename(path)));
  return module;
}

OwningOpRef<ModuleOp> mlir::qopt::importONNXModel(llvm::StringRef path, MLIRContext &context,
                                                  const ONNXImportOptions &options) {
  context.loadDialect<arith::ArithDialect, func::FuncDialect, linalg::LinalgDialect,
                      math::MathDialect, tensor::TensorDialect, QOptDialect>();
  GraphImporter importer(context, path, options);
  return importer.run();
}

//===----------------------------------------------------------------------===//
// NodeContext
//===----------------------------------------------------------------------===//

OpBuilder &NodeContext::builder() { return graph.getBuilder(); }
MLIRContext *NodeContext::getContext() { return &graph.getContext(); }

std::string NodeContext::describe() const {
  return "node '" + cast<NameLoc>(loc).getName().str() + "' (" + node.op_type() + ")";
}

InFlightDiagnostic NodeContext::emitError() {
  return mlir::emitError(loc) << describe() << ": ";
}

bool NodeContext::hasInput(size_t i) const {
  return i < numInputs() && !node.input(int(i)).empty();
}

const ValueInfo &NodeContext::info(size_t i) const {
  return graph.lookup(node.input(int(i)));
}

Value NodeContext::input(size_t i) {
  return graph.materialize(graph.lookup(node.input(int(i))), loc);
}

const ConstTensor *NodeContext::constant(size_t i) const {
  if (!hasInput(i))
    return nullptr;
  const ValueInfo &vi = info(i);
  return vi.konst ? &*vi.konst : nullptr;
}

const onnx::AttributeProto *NodeContext::attr(llvm::StringRef name) const {
  for (const auto &a : node.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}
bool NodeContext::hasAttr(llvm::StringRef name) const { return attr(name) != nullptr; }
int64_t NodeContext::intAttr(llvm::StringRef name, int64_t dflt) const {
  const auto *a = attr(name);
  return a ? a->i() : dflt;
}
float NodeContext::floatAttr(llvm::StringRef name, float dflt) const {
  const auto *a = attr(name);
  return a ? a->f() : dflt;
}
std::string NodeContext::stringAttr(llvm::StringRef name, llvm::StringRef dflt) const {
  const auto *a = attr(name);
  return a ? a->s() : dflt.str();
}
std::optional<std::vector<int64_t>> NodeContext::intsAttr(llvm::StringRef name) const {
  const auto *a = attr(name);
  if (!a)
    return std::nullopt;
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}
std::optional<std::vector<float>> NodeContext::floatsAttr(llvm::StringRef name) const {
  const auto *a = attr(name);
  if (!a)
    return std::nullopt;
  return std::vector<float>(a->floats().begin(), a->floats().end());
}

bool NodeContext::hasOutput(size_t i) const {
  return i < numOutputs() && !node.output(int(i)).empty();
}

LogicalResult NodeContext::setOutput(size_t i, Value v, int32_t dt) {
  if (!hasOutput(i))
    return success();
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!type || !type.hasStaticShape())
    return emitError() << "internal: output " << i << " is not a static tensor";
  ValueInfo info;
  info.value = v;
  info.dtype = dt;
  info.shape = std::vector<int64_t>(type.getShape().begin(), type.getShape().end());
  graph.define(node.output(int(i)), std::move(info));
  return success();
}

LogicalResult NodeContext::setInfoOutput(size_t i, ValueInfo info) {
  if (!hasOutput(i))
    return success();
  graph.define(node.output(int(i)), std::move(info));
  return success();
}

FailureOr<ValueInfo> NodeContext::importTensorProto(const onnx::TensorProto &t) {
  return graph.importTensorProto(t, loc);
}

LogicalResult NodeContext::setConstOutput(size_t i, ConstTensor t) {
  if (!hasOutput(i))
    return success();
  ValueInfo info;
  info.dtype = t.dtype;
  info.shape = t.shape;
  info.konst = std::move(t);
  graph.define(node.output(int(i)), std::move(info));
  return success();
}

void OpTable::add(llvm::StringRef domain, llvm::StringRef opType, OpHandler handler) {
  handlers[(domain + "::" + opType).str()] = std::move(handler);
}

const OpHandler *OpTable::lookup(llvm::StringRef domain, llvm::StringRef opType) const {
  auto it = handlers.find((domain + "::" + opType).str());
  return it == handlers.end() ? nullptr : &it->second;
}

std::vector<std::string> OpTable::names() const {
  std::vector<std::string> out;
  for (const auto &entry : handlers) {
    auto [domain, op] = entry.getKey().split("::");
    out.push_back(domain.empty() ? op.str() : (domain + "." + op).str());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> mlir::qopt::getSupportedONNXOps() { return getOpTable().names(); }

const OpTable &mlir::qopt::onnx_import::getOpTable() {
  static const OpTable table = [] {
    OpTable t;
    addElementwiseOps(t);
    addActivationOps(t);
    addMatMulOps(t);
    addShapeOps(t);
    addReduceOps(t);
    addNormOps(t);
    addConvPoolOps(t);
    addQuantOps(t);
    return t;
  }();
  return table;
}
