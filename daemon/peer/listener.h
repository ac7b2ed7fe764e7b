// TCP listener for BGP (port 179 by default) on a list of local addresses, IPv4 and IPv6, and
// the socket options BGP needs (TCP MD5, TTL / GTSM). An accepted connection is handed to the
// Session configured for its source address; connections from unknown addresses are closed
// and logged (RFC 4271 §8.2.1.3: the listener plays Tcp_CR_Invalid, so the FSM never sees
// them).
//
// Runs on the core thread. The Listener does not own Sessions: the server removes a Session
// (RemoveSession) before destroying it.
#ifndef KBGP_DAEMON_PEER_LISTENER_H_
#define KBGP_DAEMON_PEER_LISTENER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "asio/ip/address.hpp"
#include "asio/ip/tcp.hpp"
#include "asio/ip/v6_only.hpp"
#include "daemon/common/event_loop.h"
#include "daemon/common/ip.h"

namespace kbgp::peer {

class Session;

asio::ip::address ToAsio(const IpAddress& a);
// IPv4-mapped IPv6 addresses come back as IPv4.
IpAddress FromAsio(const asio::ip::address& a);

// TCP MD5 signature key (RFC 2385, Linux TCP_MD5SIG) for `peer` on socket `fd`; an empty
// password deletes the key. On an IPv6 socket an IPv4 peer is keyed by its mapped address.
absl::Status SetTcpMd5(int fd, const IpAddress& peer, absl::string_view password);
// Outgoing TTL / hop limit, and with min_ttl != 0 the GTSM minimum (RFC 5082: IP_MINTTL,
// IPV6_MINHOPCOUNT). `peer` decides whether IPv4 options are set on an IPv6 socket.
absl::Status SetTtl(int fd, const IpAddress& peer, int ttl, int min_ttl);

class Listener {
 public:
  struct Options {
    // Empty: 0.0.0.0 and :: (gobgpd's default local-address-list).
    std::vector<IpAddress> addresses;
    uint16_t port = 179;  // 0: an ephemeral port (shared by all addresses)
  };

  Listener(EventLoop& loop, Options options);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // Binds (SO_REUSEADDR) and listens on every address.
  absl::Status Start();
  void Stop();
  // The bound port (useful with Options::port 0).
  uint16_t port() const { return port_; }

  // Connections from session->peer_address() go to `session`; its TCP MD5 key, if any, is
  // installed on the listening sockets.
  absl::Status AddSession(Session* session);
  void RemoveSession(Session* session);

  // Called for a connection from an address no session is configured for; returns true when
  // it took the socket (a dynamic neighbor), false to refuse it.
  using UnknownPeerHandler = std::function<bool(const IpAddress&, asio::ip::tcp::socket&)>;
  void set_unknown_peer_handler(UnknownPeerHandler h) { unknown_peer_handler_ = std::move(h); }

  uint64_t accepted() const { return accepted_; }
  uint64_t refused() const { return refused_; }

 private:
  struct Acceptor;
  void StartAccept(Acceptor* a);
  void OnAccept(Acceptor* a, asio::ip::tcp::socket socket);

  EventLoop& loop_;
  Options options_;
  uint16_t port_ = 0;
  std::vector<std::unique_ptr<Acceptor>> acceptors_;
  UnknownPeerHandler unknown_peer_handler_;
  absl::flat_hash_map<IpAddress, Session*> sessions_;
  uint64_t accepted_ = 0;
  uint64_t refused_ = 0;
  std::shared_ptr<bool> alive_;
};

}  // namespace kbgp::peer

#endif  // KBGP_DAEMON_PEER_LISTENER_H_
