"""The `sim` backend: simulated customers (personas from YAML) reached over an in-process line.

`SimBackend(personas, speak, speed)` implements `telephony.base.TelephonyBackend`;
`SimulatedCustomer(persona, language, speak, speed).converse(media)` works over any `Media`
(the in-process link, or an AudioSocket call on the sandbox's customer side). See
docs/simulation.md.
"""

from telephony.sim.backend import PersonaSource, SimBackend, SimCall, personas_by_hash
from telephony.sim.customer import CustomerRecord, Heard, Said, SimulatedCustomer, Speak
from telephony.sim.link import LinkSide, MediaLink
from telephony.sim.personas import (
    DialBehaviour,
    Persona,
    SimError,
    default_personas_path,
    load_personas,
)
from telephony.sim.questions import QuestionBook

__all__ = [
    "CustomerRecord",
    "DialBehaviour",
    "Heard",
    "LinkSide",
    "MediaLink",
    "Persona",
    "PersonaSource",
    "QuestionBook",
    "Said",
    "SimBackend",
    "SimCall",
    "SimError",
    "SimulatedCustomer",
    "Speak",
    "default_personas_path",
    "load_personas",
    "personas_by_hash",
]
