"""The policyqa web app: `python app.py [--index DIR] [--host H] [--port P]`, the same as `policyqa serve`."""
from assistant.ui import serve_command

if __name__ == "__main__":
    serve_command()
