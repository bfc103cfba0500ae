"""Which card terminal driver to build, from plain settings (no dependency on ``till.config.loader``).

``till/shop/context.py`` fills ``TerminalSettings`` from the ``[payment]`` section and calls
``make_terminal``; devices never import the till, so the settings are their own frozen
dataclass. Timeouts are whole milliseconds or seconds, as TOML integers carry them.
"""

from __future__ import annotations

from dataclasses import dataclass

from devices.payment import PaymentTerminal

DRIVERS = ("simulator", "concert", "caisse_ap", "none")


@dataclass(frozen=True)
class TerminalSettings:
    """What every driver needs; each uses only its own fields."""

    driver: str = "simulator"
    device: str = "/dev/ttyACM0"
    """Concert: the serial or USB-CDC device (better a ``/dev/serial/by-id/...`` name)."""
    baudrate: int = 9600
    host: str = "127.0.0.1"
    """Caisse-AP: the terminal's address on the shop network."""
    port: int = 8888
    step_timeout_ms: int = 3000
    """Each handshake step or byte (Concert), connecting and sending (Caisse-AP)."""
    answer_timeout_s: int = 120
    """The customer's whole payment: from the request to the terminal's answer."""
    retries: int = 3
    pos_number: str = "01"
    terminal_id: str = "012345678901"
    """Caisse-AP: the 12-digit Concert protocol ID (``CJ``) the terminal expects."""
    simulator_decline_cents: int = -1
    """The simulators decline this exact amount (-1: never), so a demo can show a refusal."""
    simulate: bool = False
    """With ``concert`` or ``caisse_ap``: start that protocol's terminal simulator in this process
    (a pty, or a loopback port) and talk to it with the real driver; for the demo."""

    def __post_init__(self) -> None:
        if self.driver not in DRIVERS:
            raise ValueError(f"unknown card terminal driver {self.driver!r} (one of {', '.join(DRIVERS)})")


def make_terminal(settings: TerminalSettings) -> PaymentTerminal | None:
    """The terminal named by ``settings``; ``None`` when the till has none (cards refused)."""
    step_s, answer_s = settings.step_timeout_ms / 1000, float(settings.answer_timeout_s)
    if settings.driver == "simulator":
        from devices.payment.simulated import SimulatedTerminal  # deferred: the configured driver only

        return SimulatedTerminal(decline_cents=settings.simulator_decline_cents)
    if settings.driver == "concert":
        from devices.payment.concert import (  # deferred: the configured driver only
            ConcertTerminal,
            ConcertTimeouts,
        )

        device, simulator = settings.device, None
        if settings.simulate:
            from devices.simulators.concert_sim import ConcertSimulator  # deferred: the configured driver only

            simulator = ConcertSimulator(decline_cents=settings.simulator_decline_cents, answer_delay_s=1.0,
                                         step_s=step_s).start()
            device = simulator.path
        terminal = ConcertTerminal(device, settings.baudrate, settings.pos_number,
                                   ConcertTimeouts(step_s, answer_s, settings.retries))
        terminal.simulator = simulator  # kept alive as long as the terminal
        return terminal
    if settings.driver == "caisse_ap":
        from devices.payment.caisse_ap import (  # deferred: the configured driver only
            CaisseApTerminal,
            CaisseApTimeouts,
        )

        host, port, simulator = settings.host, settings.port, None
        if settings.simulate:
            from devices.simulators.caisse_ap_sim import CaisseApSimulator  # deferred: the configured driver only

            simulator = CaisseApSimulator(decline_cents=settings.simulator_decline_cents, answer_delay_s=1.0).start()
            host, port = simulator.host, simulator.port
        terminal = CaisseApTerminal(host, port, settings.terminal_id, settings.pos_number,
                                    CaisseApTimeouts(step_s, answer_s))
        terminal.simulator = simulator
        return terminal
    return None
