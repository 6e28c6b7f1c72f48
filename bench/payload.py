"""The report a simulated agent sends: the shape of the real agent's samples."""

from __future__ import annotations


def one_sample(ts: float) -> dict:
    return {
        "ts": ts,
        "cpu": {"percent": 12.5, "per_core": [10.0, 15.0], "load": [0.5, 0.4, 0.3]},
        "memory": {
            "total": 4 << 30,
            "used": 2 << 30,
            "available": 2 << 30,
            "swap_total": 1 << 30,
            "swap_used": 0,
        },
        "disk": {
            "filesystems": [{"mount": "/", "total": 100 << 30, "used": 40 << 30, "percent": 40.0}],
            "read_bps": 1000.0,
            "write_bps": 2000.0,
        },
        "network": {
            "interfaces": [
                {
                    "name": "eth0",
                    "rx_bps": 5e3,
                    "tx_bps": 4e3,
                    "rx_pps": 20.0,
                    "tx_pps": 18.0,
                    "errors_in": 0,
                    "errors_out": 0,
                }
            ]
        },
    }
