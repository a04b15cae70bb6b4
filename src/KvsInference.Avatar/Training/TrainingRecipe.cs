namespace KvsInference.Avatar.Training;

/// <summary>
/// The fixed data recipe: which voices, rates and pitches speak which corpus. Training and evaluation use
/// disjoint voices (language variant and voice variant both differ) and disjoint texts.
/// </summary>
internal static class TrainingRecipe
{
    /// <summary>The training corpus (embedded from Training/corpus-train.txt).</summary>
    public const string TrainCorpus = "corpus-train.txt";

    /// <summary>The held-out corpus (embedded from Training/corpus-eval.txt).</summary>
    public const string EvalCorpus = "corpus-eval.txt";

    /// <summary>Training voices: five accents (en is British English), male and female variants, rates 130..220 wpm, pitches 30..75.</summary>
    public static readonly IReadOnlyList<SpeechVoice> TrainVoices =
    [
        new("en-us", 175, 50),
        new("en-us+f3", 150, 60),
        new("en-us+m3", 210, 40),
        new("en-us+f2", 190, 75),
        new("en-us+m5", 165, 30),
        new("en+f2", 185, 65),
        new("en+m1", 140, 45),
        new("en+f4", 200, 55),
        new("en+m4", 170, 35),
        new("en-gb-scotland+f4", 170, 55),
        new("en-gb-scotland+m3", 155, 45),
        new("en-gb-x-gbclan+m7", 195, 35),
        new("en-gb-x-gbclan+f3", 145, 65),
        new("en-gb-x-gbcwmd+f1", 160, 70),
        new("en-gb-x-gbcwmd+m8", 220, 50),
        new("en-us+m1", 130, 55),
    ];

    /// <summary>
    /// espeak-ng voices of other languages, each speaking a corpus written in its language (embedded from
    /// Training/corpus-train-LANG.txt): the vowels English lacks (French and German rounded front vowels, nasal vowels)
    /// with the mouth shapes the phoneme table gives them. Not Russian (the validation split's language) and not the
    /// texts of any prompt set.
    /// </summary>
    public static readonly IReadOnlyList<(SpeechVoice Voice, string Corpus)> LanguageVoices =
    [
        (new("fr+f3", 165, 60), "corpus-train-fr.txt"),
        (new("fr+m3", 180, 40), "corpus-train-fr.txt"),
        (new("de+f2", 160, 65), "corpus-train-de.txt"),
        (new("de+m1", 175, 40), "corpus-train-de.txt"),
        (new("es+f4", 185, 60), "corpus-train-es.txt"),
        (new("es+m4", 170, 45), "corpus-train-es.txt"),
        (new("it+f5", 170, 70), "corpus-train-it.txt"),
        (new("it+m2", 160, 35), "corpus-train-it.txt"),
        (new("pt-br+f1", 175, 55), "corpus-train-pt.txt"),
        (new("pt-br+m6", 150, 45), "corpus-train-pt.txt"),
    ];

    /// <summary>
    /// The rates espeak-ng's 22.05 kHz speech is taken to be at in the perturbed training copies (vocal-tract-length
    /// perturbation: formants and tempo x 0.91, 0.95, 1.04, 1.09); each converts to 16 kHz with at most 16 polyphase branches.
    /// </summary>
    public static readonly IReadOnlyList<int> WarpPlaybackRates = [20000, 21000, 23000, 24000];

    /// <summary>
    /// Recorded human speakers trained on: Allison (US English and Mexican Spanish prompt sets), the Russian prompt
    /// set's speaker, and Menardi (the older Italian prompt set, 8 kHz GSM, read with the Italian core set's transcript:
    /// the same prompt names and wording; another person than the held-out Carlo). Their timing comes from <see cref="PhoneAligner"/> (PocketSphinx forced alignment). Installed by scripts/setup-training.
    /// </summary>
    public static readonly IReadOnlyList<RecordedSpeaker> TrainSpeakers =
    [
        new("en_US_f_Allison", "en", "en-us"),
        new("es_MX_f_Allison", "es", "es-419"),
        new("ru_RU_f_IvrvoiceRU", "ru", "ru"),
        new("it_IT_f_Menardi", "it", "it", PromptCodec.Gsm, "asterisk-prompt-it-menardi-gsm"),
        new("fr_FR_f_Armelle", "fr", "fr", PromptCodec.Gsm, "asterisk-prompt-fr-armelle") { SoundsRoot = RecordedSpeaker.ExtractedSoundsRoot },
        new("es_CO_f_July", "es", "es-419", PromptCodec.Gsm, "asterisk-prompt-es-co") { SoundsRoot = RecordedSpeaker.ExtractedSoundsRoot },
    ];

    /// <summary>
    /// Synthesizer voices built from one person's recordings each, trained on as further speakers (five male: the
    /// recorded training speakers are all female): flite's CMU ARCTIC awb (Scottish English), rms and slt (US English)
    /// and kal16 (US English diphones); Festival's ked (US English diphones), pc and lp (Italian diphones, male and
    /// female) and msu_ru_nsh (Russian unit selection). Installed by scripts/setup-training.
    /// </summary>
    public static readonly IReadOnlyList<EngineVoice> EngineVoices =
    [
        new("flite_awb", SpeechEngine.Flite, "awb", "en", "en-us", "flite"),
        new("flite_rms", SpeechEngine.Flite, "rms", "en", "en-us", "flite"),
        new("flite_slt", SpeechEngine.Flite, "slt", "en", "en-us", "flite"),
        new("flite_kal16", SpeechEngine.Flite, "kal16", "en", "en-us", "flite"),
        new("festival_ked", SpeechEngine.Festival, "ked_diphone", "en", "en-us", "festival festvox-kdlpc16k"),
        new("festival_pc", SpeechEngine.Festival, "pc_diphone", "it", "it", "festival festvox-itapc16k", Latin1: true),
        new("festival_lp", SpeechEngine.Festival, "lp_diphone", "it", "it", "festival festvox-italp16k", Latin1: true),
        new("festival_msu_ru_nsh", SpeechEngine.Festival, "msu_ru_nsh_clunits", "ru", "ru", "festival festvox-ru"),
    ];

    /// <summary>
    /// KLettres' languages (klettres-data), each one volunteer's recordings of letters, syllables and short words:
    /// further recorded human speakers, mostly of languages no other source speaks. Not its French and Italian speakers'
    /// prompts' texts (they are letters and syllables, not the held-out June's and Carlo's prompts); Russian and
    /// Ukrainian are held out with the validation split's Russian speaker. Languages without an espeak-ng voice (Low
    /// German) or without their own recordings (Indonesian, Nynorsk) are not listed, nor Hungarian and Malayalam, whose
    /// recordings PocketSphinx found no path for under espeak-ng's reading of the text (2 of 83 and 2 of 151 kept). Installed by scripts/setup-training.
    /// </summary>
    public static readonly IReadOnlyList<KLettresSpeaker> KLettresSpeakers =
    [
        new("klettres_cs", "cs", "cs"),
        new("klettres_da", "da", "da"),
        new("klettres_de", "de", "de"),
        new("klettres_en", "en", "en-us"),
        new("klettres_en_GB", "en_GB", "en"),
        new("klettres_es", "es", "es"),
        new("klettres_fr", "fr", "fr"),
        new("klettres_he", "he", "he"),
        new("klettres_it", "it", "it"),
        new("klettres_lt", "lt", "lt"),
        new("klettres_nl", "nl", "nl"),
        new("klettres_pt_BR", "pt_BR", "pt-br"),
        new("klettres_ru", "ru", "ru"),
        new("klettres_tn", "tn", "tn"),
        new("klettres_uk", "uk", "uk"),
        new("klettres_ar", "ar", "ar"),
    ];

    /// <summary>
    /// Fish Fillets NG's dubbed dialogues (fillets-ng-data with -cs and -nl): the two fish of the Czech and of the Dutch
    /// dubbing, each its own actor, and the Czech game's other characters together.
    /// </summary>
    public static readonly IReadOnlyList<FilletsSpeaker> FilletsSpeakers =
    [
        new("fillets_cs_big", "cs", "font_big", "cs"),
        new("fillets_cs_small", "cs", "font_small", "cs"),
        new("fillets_nl_big", "nl", "font_big", "nl"),
        new("fillets_nl_small", "nl", "font_small", "nl"),
        new("fillets_cs_others", "cs", FilletsSpeaker.OtherFonts, "cs"),
    ];

    /// <summary>
    /// Recorded human speakers held out of training altogether (other people than <see cref="TrainSpeakers"/>): June
    /// (Canadian French) and Carlo (Italian, the only male). Installed by scripts/setup, because a test evaluates on them.
    /// </summary>
    public static readonly IReadOnlyList<RecordedSpeaker> EvalSpeakers =
    [
        new("fr_CA_f_June", "fr", "fr"),
        new("it_IT_m_Carlo", "it", "it"),
    ];

    /// <summary>Throws unless every name is one of <see cref="TrainSpeakers"/>, <see cref="EngineVoices"/>, <see cref="KLettresSpeakers"/>, <see cref="FilletsSpeakers"/> or the espeak-ng voices of <see cref="TrainVoices"/> (a validation split).</summary>
    /// <exception cref="ArgumentException">A name is not a training speaker or voice; the message lists the valid ones.</exception>
    public static void CheckSourceNames(IEnumerable<string> names)
    {
        var known = TrainSpeakers.Select(s => s.Name).Concat(EngineVoices.Select(v => v.Name)).Concat(KLettresSpeakers.Select(k => k.Name)).Concat(FilletsSpeakers.Select(f => f.Name))
            .Concat(TrainVoices.Select(v => v.Voice)).ToList();
        var wrong = names.Where(n => !known.Contains(n, StringComparer.Ordinal)).ToList();
        if (wrong.Count > 0) throw new ArgumentException($"not a training speaker or voice: {string.Join(", ", wrong)} (known: {string.Join(", ", known)})");
    }

    /// <summary>The rates a recorded prompt's 16 kHz samples are taken to be at in its perturbed copies (formants and tempo x 0.91..1.09).</summary>
    public static readonly IReadOnlyList<int> RecordingWarpRates = [14600, 15200, 16800, 17400];

    /// <summary>
    /// The rates a recorded prompt's samples are taken to be at in its lowered copies (formants, pitch and tempo x 0.825,
    /// 0.85, 0.875): toward a man's voice, since the recorded training speakers are all women. On the validation split
    /// it raised a held-out male voice by 3 to 6 points (docs/model.md).
    /// </summary>
    public static readonly IReadOnlyList<int> LowVoiceWarpRates = [13200, 13600, 14000];

    /// <summary>Held-out voices: accents and variants absent from <see cref="TrainVoices"/>.</summary>
    public static readonly IReadOnlyList<SpeechVoice> EvalVoices =
    [
        new("en-gb-x-rp+m2", 170, 50),
        new("en-029+f5", 185, 60),
        new("en-us+m6", 160, 45),
    ];
}
