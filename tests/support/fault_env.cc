#include "tests/support/fault_env.h"

#include <cstring>

namespace clusterd::testing {
namespace {

const char* op_name(FaultEnv::Op op) {
  switch (op) {
    case FaultEnv::Op::Open:
      return "open";
    case FaultEnv::Op::Append:
      return "append";
    case FaultEnv::Op::Sync:
      return "sync";
    case FaultEnv::Op::Truncate:
      return "truncate";
    case FaultEnv::Op::Rename:
      return "rename";
    case FaultEnv::Op::Remove:
      return "remove";
    case FaultEnv::Op::MakeDir:
      return "make_dir";
    case FaultEnv::Op::SyncDir:
      return "sync_dir";
  }
  return "?";
}

// The same messages as FileEnv::posix(): "PATH: strerror", not_found for ENOENT.
Error errno_error(const std::string& what, int err) {
  std::string m = what + ": " + std::strerror(err);
  return err == ENOENT ? Error::not_found(std::move(m)) : Error::io(std::move(m));
}

std::string parent_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

class FaultEnv::File : public WritableFile {
 public:
  File(FaultEnv& env, std::string path, int inode)
      : WritableFile(std::move(path)), env_(env), inode_(inode) {}
  Result<void> append(std::string_view data) override { return env_.append(inode_, path(), data); }
  Result<void> sync_data() override { return env_.sync(inode_, path(), "fdatasync"); }
  Result<void> sync() override { return env_.sync(inode_, path(), "fsync"); }
  Result<void> truncate(std::uint64_t size) override { return env_.truncate(inode_, path(), size); }
  Result<std::uint64_t> size() override {
    std::lock_guard lk(env_.mu_);
    return static_cast<std::uint64_t>(env_.inodes_[inode_].data.size());
  }

 private:
  FaultEnv& env_;
  int inode_;
};

FaultEnv::FaultEnv() { dirs_ = {"/", "."}; }

void FaultEnv::inject(Fault f) {
  std::lock_guard lk(mu_);
  faults_.push_back(std::move(f));
}

void FaultEnv::power_cut_after(int n) {
  std::lock_guard lk(mu_);
  cut_after_ = n;
  cut_ = cut_ || log_.size() >= static_cast<std::size_t>(n);
}

void FaultEnv::restart() {
  std::lock_guard lk(mu_);
  names_ = disk_names_;
  for (auto& [id, inode] : inodes_) inode.data = inode.synced;
  faults_.clear();
  log_.clear();
  cut_after_.reset();
  cut_ = false;
}

int FaultEnv::operations() const {
  std::lock_guard lk(mu_);
  return static_cast<int>(log_.size());
}

std::vector<std::string> FaultEnv::log() const {
  std::lock_guard lk(mu_);
  return log_;
}

std::optional<std::string> FaultEnv::file(const std::string& path) const {
  std::lock_guard lk(mu_);
  auto it = names_.find(path);
  if (it == names_.end()) return std::nullopt;
  return inodes_.at(it->second).data;
}

std::optional<std::string> FaultEnv::disk(const std::string& path) const {
  std::lock_guard lk(mu_);
  auto it = disk_names_.find(path);
  if (it == disk_names_.end()) return std::nullopt;
  return inodes_.at(it->second).synced;
}

void FaultEnv::put(const std::string& path, const std::string& content) {
  std::lock_guard lk(mu_);
  for (std::string d = parent_of(path); dirs_.insert(d).second; d = parent_of(d)) {
  }
  int id = next_inode_++;
  inodes_[id] = {content, content};
  names_[path] = disk_names_[path] = id;
}

std::optional<FaultEnv::Fault> FaultEnv::begin(Op op, const std::string& path,
                                               std::string_view data) {
  log_.push_back(std::string(op_name(op)) + " " + path);
  if (cut_after_ && log_.size() > static_cast<std::size_t>(*cut_after_)) cut_ = true;
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    if (it->op != op || !path.ends_with(it->path_ends_with)) continue;
    if (data.find(it->data_contains) == std::string_view::npos) continue;
    if (it->skip-- > 0) continue;
    Fault f = *it;
    faults_.erase(it);
    return f;
  }
  return std::nullopt;
}

Result<std::unique_ptr<WritableFile>> FaultEnv::open(Op op, const std::string& path,
                                                     bool truncate) {
  std::lock_guard lk(mu_);
  if (auto f = begin(op, path)) return errno_error(path, f->error);
  if (!dirs_.count(parent_of(path))) return errno_error(path, ENOENT);
  auto it = names_.find(path);
  int id;
  if (it == names_.end()) {
    id = next_inode_++;
    inodes_[id] = {};
    names_[path] = id;
  } else {
    id = it->second;
    if (truncate) inodes_[id].data.clear();
  }
  return std::unique_ptr<WritableFile>(new File(*this, path, id));
}

Result<std::unique_ptr<WritableFile>> FaultEnv::open_append(const std::string& path, mode_t) {
  return open(Op::Open, path, false);
}

Result<std::unique_ptr<WritableFile>> FaultEnv::create(const std::string& path, mode_t) {
  return open(Op::Open, path, true);
}

Result<void> FaultEnv::append(int id, const std::string& path, std::string_view data) {
  std::lock_guard lk(mu_);
  Inode& inode = inodes_[id];
  if (auto f = begin(Op::Append, path, data)) {
    inode.data.append(data.substr(0, f->keep_bytes));
    inode.unsynced_writes.append(data.substr(0, f->keep_bytes));
    if (f->power_cut) {
      if (!cut_) inode.synced = inode.data;
      cut_ = true;
    }
    return errno_error(path, f->error);
  }
  inode.data.append(data);
  inode.unsynced_writes.append(data);
  return {};
}

Result<void> FaultEnv::sync(int id, const std::string& path, const char* what) {
  std::lock_guard lk(mu_);
  Inode& inode = inodes_[id];
  if (auto f = begin(Op::Sync, path, inode.unsynced_writes))
    return errno_error(path + ": " + what, f->error);
  if (!cut_) inode.synced = inode.data;
  inode.unsynced_writes.clear();
  return {};
}

Result<void> FaultEnv::truncate(int id, const std::string& path, std::uint64_t size) {
  std::lock_guard lk(mu_);
  if (auto f = begin(Op::Truncate, path)) return errno_error(path + ": ftruncate", f->error);
  inodes_[id].data.resize(size);
  inodes_[id].unsynced_writes.clear();
  return {};
}

Result<std::string> FaultEnv::read_file(const std::string& path) {
  std::lock_guard lk(mu_);
  auto it = names_.find(path);
  if (it == names_.end()) return errno_error(path, ENOENT);
  return inodes_[it->second].data;
}

Result<void> FaultEnv::rename(const std::string& from, const std::string& to) {
  std::lock_guard lk(mu_);
  std::string what = "rename " + from + " to " + to;
  if (auto f = begin(Op::Rename, from)) return errno_error(what, f->error);
  auto it = names_.find(from);
  if (it == names_.end()) return errno_error(what, ENOENT);
  if (!dirs_.count(parent_of(to))) return errno_error(what, ENOENT);
  int id = it->second;
  names_.erase(it);
  names_[to] = id;
  return {};
}

Result<void> FaultEnv::remove(const std::string& path) {
  std::lock_guard lk(mu_);
  if (auto f = begin(Op::Remove, path)) return errno_error(path, f->error);
  if (names_.erase(path) == 0) return errno_error(path, ENOENT);
  return {};
}

Result<std::vector<std::string>> FaultEnv::list_dir(const std::string& dir) {
  std::lock_guard lk(mu_);
  if (!dirs_.count(dir)) return errno_error(dir, ENOENT);
  std::vector<std::string> out;
  for (const auto& [path, id] : names_)
    if (parent_of(path) == dir) out.push_back(path.substr(path.find_last_of('/') + 1));
  for (const auto& d : dirs_)
    if (d != dir && parent_of(d) == dir) out.push_back(d.substr(d.find_last_of('/') + 1));
  return out;
}

Result<void> FaultEnv::make_dir(const std::string& dir, mode_t) {
  std::lock_guard lk(mu_);
  if (auto f = begin(Op::MakeDir, dir)) return errno_error(dir, f->error);
  if (!dirs_.count(parent_of(dir))) return errno_error(dir, ENOENT);
  dirs_.insert(dir);
  return {};
}

Result<void> FaultEnv::sync_dir(const std::string& dir) {
  std::lock_guard lk(mu_);
  if (auto f = begin(Op::SyncDir, dir)) return errno_error(dir + ": fsync", f->error);
  if (!dirs_.count(dir)) return errno_error(dir, ENOENT);
  if (cut_) return {};
  // The directory's entries on disk become the ones the process sees.
  std::erase_if(disk_names_, [&](const auto& e) { return parent_of(e.first) == dir; });
  for (const auto& [path, id] : names_)
    if (parent_of(path) == dir) disk_names_[path] = id;
  return {};
}

}  // namespace clusterd::testing
