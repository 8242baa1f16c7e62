from mimo_openai_ext._cli import run

run()
