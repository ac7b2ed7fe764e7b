#include "daemon/peer/listener.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "daemon/common/log.h"
#include "daemon/peer/session.h"

namespace kbgp::peer {

asio::ip::address ToAsio(const IpAddress& a) {
  if (a.is_v4()) return asio::ip::address_v4(a.v4());
  asio::ip::address_v6::bytes_type b;
  std::memcpy(b.data(), a.data(), 16);
  return asio::ip::address_v6(b);
}

IpAddress FromAsio(const asio::ip::address& a) {
  if (a.is_v4()) return IpAddress::V4(a.to_v4().to_uint());
  asio::ip::address_v6 v6 = a.to_v6();
  if (v6.is_v4_mapped()) {
    return IpAddress::V4(asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_uint());
  }
  const asio::ip::address_v6::bytes_type b = v6.to_bytes();
  return IpAddress::V6Bytes(b.data());
}

namespace {

int SocketFamily(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return AF_UNSPEC;
  return ss.ss_family;
}

absl::Status Errno(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

}  // namespace

absl::Status SetTcpMd5(int fd, const IpAddress& peer, absl::string_view password) {
  if (password.size() > TCP_MD5SIG_MAXKEYLEN) {
    return absl::InvalidArgumentError("TCP MD5 password longer than 80 bytes");
  }
  tcp_md5sig sig{};
  const int family = SocketFamily(fd);
  if (family == AF_INET6) {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&sig.tcpm_addr);
    sin6->sin6_family = AF_INET6;
    if (peer.is_v4()) {
      // ::ffff:a.b.c.d, as the kernel sees an IPv4 peer on a dual-stack socket.
      sin6->sin6_addr.s6_addr[10] = 0xff;
      sin6->sin6_addr.s6_addr[11] = 0xff;
      std::memcpy(&sin6->sin6_addr.s6_addr[12], peer.data(), 4);
    } else {
      std::memcpy(&sin6->sin6_addr, peer.data(), 16);
    }
  } else {
    if (!peer.is_v4()) return absl::OkStatus();  // an IPv6 peer never reaches an IPv4 socket
    auto* sin = reinterpret_cast<sockaddr_in*>(&sig.tcpm_addr);
    sin->sin_family = AF_INET;
    std::memcpy(&sin->sin_addr, peer.data(), 4);
  }
  sig.tcpm_keylen = static_cast<uint16_t>(password.size());
  std::memcpy(sig.tcpm_key, password.data(), password.size());
  if (setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &sig, sizeof(sig)) != 0) {
    // Deleting a key that was never set is not an error worth reporting.
    if (password.empty() && errno == ENOENT) return absl::OkStatus();
    return Errno(absl::StrCat("TCP_MD5SIG for ", peer.ToString()));
  }
  return absl::OkStatus();
}

absl::Status SetTtl(int fd, const IpAddress& peer, int ttl, int min_ttl) {
  const int family = SocketFamily(fd);
  absl::Status st;
  if (family == AF_INET6) {
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof(ttl)) != 0) {
      st = Errno("IPV6_UNICAST_HOPS");
    }
    if (min_ttl != 0 &&
        setsockopt(fd, IPPROTO_IPV6, IPV6_MINHOPCOUNT, &min_ttl, sizeof(min_ttl)) != 0) {
      st = Errno("IPV6_MINHOPCOUNT");
    }
    if (!peer.is_v4()) return st;
  }
  // IPv4 sockets, and IPv4 peers on dual-stack IPv6 sockets (the kernel applies the IPv4
  // options to v4-mapped traffic).
  if (setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)) != 0) st = Errno("IP_TTL");
  if (min_ttl != 0 && setsockopt(fd, IPPROTO_IP, IP_MINTTL, &min_ttl, sizeof(min_ttl)) != 0) {
    st = Errno("IP_MINTTL");
  }
  return st;
}

struct Listener::Acceptor {
  Acceptor(asio::io_context& io, IpAddress a) : acceptor(io), address(a) {}
  asio::ip::tcp::acceptor acceptor;
  IpAddress address;
};

Listener::Listener(EventLoop& loop, Options options)
    : loop_(loop), options_(std::move(options)), alive_(std::make_shared<bool>(true)) {
  if (options_.addresses.empty()) {
    options_.addresses.push_back(IpAddress());  // 0.0.0.0
    options_.addresses.push_back(*IpAddress::Parse("::"));
  }
}

Listener::~Listener() { Stop(); }

absl::Status Listener::Start() {
  bool any_v4 = false;
  for (const IpAddress& a : options_.addresses) any_v4 |= a.is_v4();
  port_ = options_.port;
  for (const IpAddress& addr : options_.addresses) {
    auto a = std::make_unique<Acceptor>(loop_.context(), addr);
    asio::ip::tcp::endpoint ep(ToAsio(addr), port_);
    std::error_code ec;
    a->acceptor.open(ep.protocol(), ec);
    if (!ec) a->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    // With an IPv4 address in the list, IPv6 sockets take IPv6 only, so both can bind the
    // same port; alone, an IPv6 wildcard also accepts IPv4 (as v4-mapped addresses).
    if (!ec && addr.is_v6()) a->acceptor.set_option(asio::ip::v6_only(any_v4), ec);
    if (!ec) a->acceptor.bind(ep, ec);
    if (!ec) a->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      Stop();
      return absl::UnavailableError(
          absl::StrCat("listen on ", addr.ToString(), " port ", port_, ": ", ec.message()));
    }
    if (port_ == 0) port_ = a->acceptor.local_endpoint().port();
    for (const auto& [peer, session] : sessions_) {
      if (!session->options().password.empty()) {
        absl::Status st =
            SetTcpMd5(a->acceptor.native_handle(), peer, session->options().password);
        if (!st.ok()) LogError("tcp md5 on listener failed", {{"error", st.message()}});
      }
    }
    LogInfo("listening", {{"address", addr.ToString()}, {"port", port_}});
    StartAccept(a.get());
    acceptors_.push_back(std::move(a));
  }
  return absl::OkStatus();
}

void Listener::Stop() {
  for (auto& a : acceptors_) {
    std::error_code ec;
    a->acceptor.close(ec);
  }
  acceptors_.clear();
}

void Listener::StartAccept(Acceptor* a) {
  std::weak_ptr<bool> alive = alive_;
  a->acceptor.async_accept([this, a, alive](const std::error_code& ec,
                                            asio::ip::tcp::socket socket) {
    if (alive.expired() || ec == asio::error::operation_aborted) return;
    if (!a->acceptor.is_open()) return;
    if (ec) {
      // EMFILE and the like: log and keep accepting.
      LogWarn("accept failed", {{"address", a->address.ToString()}, {"error", ec.message()}});
    } else {
      OnAccept(a, std::move(socket));
    }
    StartAccept(a);
  });
}

void Listener::OnAccept(Acceptor* a, asio::ip::tcp::socket socket) {
  std::error_code ec;
  const asio::ip::tcp::endpoint remote = socket.remote_endpoint(ec);
  if (ec) return;  // already gone
  const IpAddress peer = FromAsio(remote.address());
  auto it = sessions_.find(peer);
  if (it == sessions_.end()) {
    if (unknown_peer_handler_ && unknown_peer_handler_(peer, socket)) {
      ++accepted_;
      return;
    }
    ++refused_;
    LogWarn("connection from unknown peer refused",
            {{"peer", peer.ToString()}, {"port", remote.port()},
             {"local", a->address.ToString()}});
    socket.close(ec);
    return;
  }
  ++accepted_;
  it->second->Accept(std::move(socket));
}

absl::Status Listener::AddSession(Session* session) {
  const IpAddress& peer = session->peer_address();
  auto [it, inserted] = sessions_.try_emplace(peer, session);
  if (!inserted && it->second != session) {
    return absl::AlreadyExistsError(absl::StrCat("peer ", peer.ToString(), " already listed"));
  }
  absl::Status result;
  if (!session->options().password.empty()) {
    for (auto& a : acceptors_) {
      absl::Status st =
          SetTcpMd5(a->acceptor.native_handle(), peer, session->options().password);
      if (!st.ok()) result = st;
    }
  }
  return result;
}

void Listener::RemoveSession(Session* session) {
  auto it = sessions_.find(session->peer_address());
  if (it == sessions_.end() || it->second != session) return;
  if (!session->options().password.empty()) {
    for (auto& a : acceptors_) {
      (void)SetTcpMd5(a->acceptor.native_handle(), it->first, "");
    }
  }
  sessions_.erase(it);
}

}  // namespace kbgp::peer
