"""Translation between the providers' wire formats and the hybrid provider layer (issue 16).

`routes` resolves a request's `model` to provider targets, `calls` runs a neutral
`ChatRequest` through the hybrid model of its route, `openai_wire` / `anthropic_wire`
read and write each wire, `streaming` turns LangChain chunks into a wire's events and
`failures` decides the status of an error. No knowledge of the web framework here.
"""
