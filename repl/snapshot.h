// Snapshot mode of a BCP cluster (docs/bcp.md "Snapshot mode"): the seed's
// method. Every interval the source site takes a read-only btrfs snapshot of
// the volume that holds the disk image, sends it (incrementally, from the
// newest snapshot the other site has verified) with `btrfs send | REMOTE
// clusterd-ship snap-receive`, and the other site counts it only once
// `btrfs receive` completed (the snapshot has a Received UUID) and the image
// in it has the hash the source computed. A partial receive is deleted, never
// promoted.
//
// On each site, SNAPDIR holds the snapshots (snap-e<EPOCH>-<N>, so two
// epochs never collide), SNAPDIR/site.repl the verified point and epoch
// (repl/log_file.h LogState), SNAPDIR/verified the verified snapshot's name,
// SNAPDIR/peer-has the newest of ours the other site verified (the parent of
// the next incremental send), SNAPDIR/.lock one receiver or promotion.
#pragma once

#include <string>
#include <vector>

#include "base/duration.h"

namespace clusterd::repl {

struct SnapshotOptions {
  /// "btrfs": read-only subvolume snapshots, btrfs send/receive; "rsync": a
  /// copy of the image's complete lines, sent with rsync --inplace
  /// --no-whole-file to a staging copy at the other site, verified there and
  /// only then kept as the snapshot.
  std::string method = "btrfs";
  std::string volume;        ///< the btrfs subvolume the node's disk image lives in
  std::string image;         ///< the image's file name inside it
  std::string snapdir;       ///< this site's snapshots (same btrfs filesystem as volume)
  std::string peer_snapdir;  ///< the other site's
  Duration interval = std::chrono::seconds(30);
  Duration poll = std::chrono::milliseconds(200);  ///< the live head's report period
  std::vector<std::string> remote;          ///< argv prefix that runs a command at the other site
  std::string peer_ship = "clusterd-ship";  ///< clusterd-ship's path at the other site
  std::string name;                         ///< snap-receive: the snapshot's name
  std::string expect;                       ///< snap-receive: "records,bytes,hash,time,epoch"
  std::string prepare;                      ///< snap-receive (rsync): set up the staging copy only
  /// zfs: the site's live dataset (mounted at `volume`); the replica is
  /// received into DATASET-repl beside it. Mountpoints inherited (the default),
  /// so a renamed dataset mounts where its new name says.
  std::string dataset;
  std::string peer_dataset;  ///< snapshot (zfs): the other site's live dataset
};

/// `clusterd-ship snapshot`: the source's loop (never returns but on a
/// fatal error: exit status).
int snapshot_loop(const SnapshotOptions& o);
/// `clusterd-ship snap-receive`: at the other site, stdin = the send stream.
int snap_receive(const SnapshotOptions& o);
/// `clusterd-ship snap-watch`: at the passive site, says its verified point.
int snap_watch(const SnapshotOptions& o);
/// `clusterd-ship snap-promote`: the passive site's volume from its newest
/// verified snapshot; what was in the volume is kept as a branch.
int snap_promote(const SnapshotOptions& o);

}  // namespace clusterd::repl
