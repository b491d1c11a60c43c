"""The dashboard's widgets: display only, driven by the app on every store change."""

from hedgeflow_tui.ui.widgets.alert_log import AlertLog
from hedgeflow_tui.ui.widgets.attribution import AttributionBars
from hedgeflow_tui.ui.widgets.banner import SqueezeBanner
from hedgeflow_tui.ui.widgets.chart import FlowChart
from hedgeflow_tui.ui.widgets.range_gauge import RangeGauge
from hedgeflow_tui.ui.widgets.readout import CursorReadout
from hedgeflow_tui.ui.widgets.regime import RegimeLine
from hedgeflow_tui.ui.widgets.sparkline import FlowSparkline
from hedgeflow_tui.ui.widgets.status import StatusBar

__all__ = [
    "AlertLog",
    "AttributionBars",
    "CursorReadout",
    "FlowChart",
    "FlowSparkline",
    "RangeGauge",
    "RegimeLine",
    "SqueezeBanner",
    "StatusBar",
]
