"""callgram: verified function-calling training data from grammars, with no LLM in the loop."""
from engine.compose import Composer
from engine.config import GenerateConfig, Mix
from engine.errors import CallgramError
from engine.pipeline import Shard, generate
from engine.parse import UtteranceParser
from engine.project import Project, load_project
from engine.samples import Sample

__all__ = ["CallgramError", "Composer", "GenerateConfig", "Mix", "Project", "Sample", "Shard", "UtteranceParser", "generate", "load_project"]
