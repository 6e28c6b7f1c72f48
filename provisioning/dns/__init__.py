"""DNS hosting: zones and records on PowerDNS (HTTP API), BIND secondaries. See docs/dns.md."""
