"""What members are told about the model endpoint (``/about``): never credentials."""

from __future__ import annotations


def test_the_endpoint_members_are_told_never_carries_credentials():
    from bot.recap.summarize.extractive import ExtractiveSummarizer
    from bot.recap.summarize.llm import OpenAISummarizer

    summarizer = OpenAISummarizer(
        api_key="sk-test",
        base_url="https://bob:s3cret@proxy.example:8443/v1?token=abc",
        model="m",
        fallback=ExtractiveSummarizer(),
    )
    assert summarizer.endpoint == "proxy.example:8443"
