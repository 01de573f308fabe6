"""Creators' data, one module per concept; everything is importable from ``creators.models``."""

from creators.models.eligibility import EligibilityProgram, EligibilityResult, EligibilityRuleSet
from creators.models.metrics import DailyAccountMetric, Video
from creators.models.performance import AccountPerformance, CreatorPerformance, Tier
from creators.models.recalc import RecalcChunk, RecalcRun
from creators.models.roster import AccountHandle, Contract, Creator, Platform, PlatformAccount
from creators.models.scoring import ScoringVersion
from creators.models.waves import (
    CreatorWaveSummary,
    Signal,
    TrafficPool,
    TrafficPoolVersion,
    VideoDailyMetric,
    VideoHourlyMetric,
    VideoWave,
)

__all__ = [
    "AccountHandle",
    "AccountPerformance",
    "Contract",
    "Creator",
    "CreatorPerformance",
    "CreatorWaveSummary",
    "DailyAccountMetric",
    "EligibilityProgram",
    "EligibilityResult",
    "EligibilityRuleSet",
    "Platform",
    "PlatformAccount",
    "RecalcChunk",
    "RecalcRun",
    "ScoringVersion",
    "Signal",
    "Tier",
    "TrafficPool",
    "TrafficPoolVersion",
    "Video",
    "VideoDailyMetric",
    "VideoHourlyMetric",
    "VideoWave",
]
