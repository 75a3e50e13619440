"""The Gradio app over the Assistant facade, one module per tab. Importing this package does not
import Gradio: `serve_command` loads it when the app starts."""

from .serve import serve_command

__all__ = ["serve_command"]
