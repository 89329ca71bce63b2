// One bar group of ScoresChart: alerts by colour and the median minutes to acknowledge.
export interface ScoreBar { name: string; red: number; orange: number; yellow: number; blue: number; ackMedianMin: number | null }
